using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Turns what the plugin sends and receives into <see cref="LoggedMessage"/>s, keeping numbers and texts only as
/// <see cref="StateOptions"/> allows, and writes them to the <see cref="IMessageLog"/>.
/// </summary>
internal sealed class MessageLogWriter(IMessageLog log, StateOptions options, ILogger logger)
{
    public IMessageLog Log => log;

    public LoggedMessage Outbound(string callId, string actionName, string senderIdentity, string callerKey, OutboundMessage message, string messageId,
        string status, DateTimeOffset at)
    {
        var content = message.Content is { } template
            ? template.TemplateId + "|" + string.Join('|', template.Variables.Select(v => v.Key + "=" + v.Value))
            : message.Body ?? "";
        return new LoggedMessage
        {
            MessageId = messageId,
            Direction = MessageDirection.Outbound,
            Channel = message.Channel,
            CallId = callId,
            ActionName = actionName,
            SenderName = message.SenderName,
            SenderIdentity = senderIdentity,
            CallerKey = callerKey,
            Caller = Caller(message.To),
            Text = options.StoreMessageText ? message.Body : null,
            ContentHash = CallerKeys.ContentHash(content),
            TemplateId = message.Content?.TemplateId,
            MediaUrls = message.MediaUrls.Count == 0 ? [] : [.. message.MediaUrls.Select(u => u.AbsoluteUri)],
            ClientReference = message.ClientReference,
            CreatedAt = at,
            Status = status,
            State = DeliveryStatus.FromWord(status),
        };
    }

    public LoggedMessage Inbound(InboundMessage message, string callerKey, string caller, string senderName, string senderIdentity, string text,
        string? callId, string? inReplyTo, DateTimeOffset at) => new()
    {
        MessageId = message.MessageId,
        Direction = MessageDirection.Inbound,
        Channel = message.Channel,
        CallId = callId,
        SenderName = senderName,
        SenderIdentity = senderIdentity,
        CallerKey = callerKey,
        Caller = Caller(caller),
        Text = options.StoreMessageText ? text : null,
        ContentHash = CallerKeys.ContentHash(text),
        MediaUrls = message.Media.Count == 0 ? [] : [.. message.Media.Select(m => m.Url.AbsoluteUri)],
        InReplyTo = inReplyTo,
        CreatedAt = at,
        Status = "received",
    };

    /// <summary>
    /// Logs a message that went out, without making the action wait for the store: the send already happened, and the
    /// call's own record guards against sending it twice, so the voice turn does not pay for a commit. A log that
    /// cannot be written is logged as an error and the call goes on. (A process that dies within the store's commit
    /// delay loses that record; the message itself was sent.)
    /// </summary>
    public void RecordSent(LoggedMessage message)
    {
        ValueTask<bool> write;
        try
        {
            write = log.TryAddAsync(message, CancellationToken.None);
        }
        catch (Exception ex)
        {
            ReportUnlogged(message, ex);
            return;
        }

        if (!write.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(write, message);
        }
    }

    private async Task ObserveAsync(ValueTask<bool> write, LoggedMessage message)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportUnlogged(message, ex);
        }
    }

    private void ReportUnlogged(LoggedMessage message, Exception ex) =>
        logger.LogError(ex, "Message {MessageId} of call {CallId} was sent but the message log could not record it: {Problem}",
            message.MessageId, message.CallId, ex.Message);

    private string Caller(string number) => options.StoreCallerNumbers ? number : Redact.Phone(number, mask: true);
}
