
namespace InCallMessaging.SemanticKernel;

/// <summary>
/// An in-process provider for development, tests and the call simulator: it records every message instead of sending
/// it, and lets the code play the caller with <see cref="ReplyAsync(LoopbackMessage, string, CancellationToken)"/>.
/// </summary>
public sealed class LoopbackMessageProvider : IMessageProvider
{
    /// <summary>The provider name senders use: <c>Loopback</c>.</summary>
    public const string ProviderName = "Loopback";

    private readonly Lock _gate = new();
    private readonly List<LoopbackMessage> _sent = [];
    private readonly List<(Func<LoopbackMessage, bool> Predicate, TaskCompletionSource<LoopbackMessage> Completion)> _waiters = [];
    private long _sequence;

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <summary>Decides the outcome of each send; by default every message is accepted with status <c>queued</c>.</summary>
    public Func<OutboundMessage, SendResult?>? Responder { get; set; }

    /// <summary>Raised after each accepted message is recorded.</summary>
    public event EventHandler<LoopbackMessage>? MessageSent;

    /// <summary>The messages accepted so far, oldest first.</summary>
    public IReadOnlyList<LoopbackMessage> SentMessages
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>
    /// Where replies go: the registered <see cref="IReplyHub"/> of the service provider that uses this provider, looked
    /// up at each reply, so a hub registered in place of the plugin's own (or wrapping it) hears loopback replies like
    /// webhook ones.
    /// </summary>
    internal Func<IReplyHub>? HubSource { get; set; }

    internal IReplyHub? Hub => HubSource?.Invoke();

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Responder?.Invoke(message) is { Succeeded: false } failure)
        {
            return ValueTask.FromResult(failure);
        }

        var id = "LB" + Interlocked.Increment(ref _sequence).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
        var sent = new LoopbackMessage(id, message);
        List<TaskCompletionSource<LoopbackMessage>>? matched = null;
        lock (_gate)
        {
            _sent.Add(sent);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(sent))
                {
                    (matched ??= []).Add(_waiters[i].Completion);
                    _waiters.RemoveAt(i);
                }
            }
        }

        matched?.ForEach(m => m.TrySetResult(sent));
        MessageSent?.Invoke(this, sent);
        return ValueTask.FromResult(SendResult.Sent(id, "queued"));
    }

    /// <summary>Waits until a message matching <paramref name="predicate"/> has been sent (including one sent already).</summary>
    public Task<LoopbackMessage> WaitForMessageAsync(Func<LoopbackMessage, bool>? predicate = null, CancellationToken cancellationToken = default)
    {
        predicate ??= static _ => true;
        var completion = new TaskCompletionSource<LoopbackMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = _sent.FindLast(m => predicate(m));
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }

            _waiters.Add((predicate, completion));
        }

        return completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Answers a sent message as the caller would: the reply goes through the registered <see cref="IReplyHub"/> like any webhook's.</summary>
    /// <param name="original">The message being answered.</param>
    /// <param name="text">The caller's text.</param>
    public ValueTask<ReplyDeliveryOutcome> ReplyAsync(LoopbackMessage original, string text) =>
        ReplyAsync(original, text, [], CancellationToken.None);

    /// <summary>Answers a sent message as the caller would: the reply goes through the registered <see cref="IReplyHub"/> like any webhook's.</summary>
    /// <param name="original">The message being answered.</param>
    /// <param name="text">The caller's text.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    public ValueTask<ReplyDeliveryOutcome> ReplyAsync(LoopbackMessage original, string text, CancellationToken cancellationToken) =>
        ReplyAsync(original, text, [], cancellationToken);

    /// <summary>
    /// Answers a sent message as the caller would, with attachments (MMS, a WhatsApp photo); <paramref name="text"/> may
    /// be empty for a media-only reply. The reply goes through the registered <see cref="IReplyHub"/> like any webhook's.
    /// </summary>
    /// <param name="original">The message being answered.</param>
    /// <param name="text">The caller's text.</param>
    /// <param name="media">The attachments: where each is stored and its content type.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    public ValueTask<ReplyDeliveryOutcome> ReplyAsync(LoopbackMessage original, string text, IReadOnlyList<InboundMedia> media, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(media);
        var hub = HubSource?.Invoke() ?? throw new InvalidOperationException("The loopback provider is not attached to a reply hub; create it through AddInCallMessaging or InCallMessagingRuntime.Create.");
        var message = original.Message;
        return hub.DeliverAsync(new InboundMessage
        {
            Provider = ProviderName,
            MessageId = "LBin" + Guid.NewGuid().ToString("N"),
            Channel = message.Channel,
            From = message.To,
            To = message.Sender.AddressOr(message.SenderName),
            SenderName = message.SenderName,
            Text = text,
            Media = media,
        }, cancellationToken);
    }
}

/// <summary>A message the loopback provider accepted.</summary>
/// <param name="MessageId">The id it was given (<c>LB...</c>).</param>
/// <param name="Message">What was sent.</param>
public sealed record LoopbackMessage(string MessageId, OutboundMessage Message);
