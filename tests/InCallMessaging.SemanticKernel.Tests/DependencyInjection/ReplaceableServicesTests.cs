using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.DependencyInjection;

/// <summary>
/// Every public seam of the plugin can be replaced by a user implementation, registered before or after
/// <c>AddInCallMessaging</c>, and the plugin then uses it; <see cref="InCallMessagingRuntime.Create"/> builds on the
/// same registrations; the actions are compiled once.
/// </summary>
public sealed class ReplaceableServicesTests
{
    private const string CallId = "CA00000000000000000000000000000042";

    private static void Configure(InCallMessagingOptions options)
    {
        options.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = TestRuntime.Agent };
        options.Actions.Add(TestRuntime.Otp());
    }

    /// <summary>Services with the plugin and <paramref name="replace"/> registered before or after it.</summary>
    private static ServiceProvider Build(bool registeredFirst, Action<IServiceCollection> replace)
    {
        var services = new ServiceCollection();
        if (registeredFirst)
        {
            replace(services);
        }

        services.AddInCallMessaging(Configure);
        if (!registeredFirst)
        {
            replace(services);
        }

        return services.BuildServiceProvider();
    }

    /// <summary>Starts a call, has the plugin text the code, and returns the session and what the loopback sent.</summary>
    private static async Task<(CallSession Session, LoopbackMessage Sent)> SendOtpAsync(IServiceProvider services, ICallSpeech? speech = null)
    {
        var session = services.GetRequiredService<ICallSessionRegistry>().StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        session.Speech = speech;
        var kernel = Kernel.CreateBuilder().Build();
        var plugin = services.GetRequiredService<KernelPlugin>();
        kernel.Plugins.Add(plugin);
        var result = await kernel.WithCallSession(session).InvokeAsync(plugin["send_otp"], new KernelArguments { ["otp_code"] = "123456" });
        Assert.Contains("\"status\":\"sent\"", result.GetValue<string>(), StringComparison.Ordinal);
        var loopback = services.GetRequiredService<InCallMessagingRuntime>().Loopback!;
        return (session, Assert.Single(loopback.SentMessages));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_call_session_registry_is_the_one_the_plugin_starts_indexes_and_matches_with(bool registeredFirst)
    {
        // The public way to replace the registry: decorate the built-in one, which creates the sessions.
        using var services = Build(registeredFirst, s => s.DecorateCallSessionRegistry((inner, _) => new RecordingRegistry(inner)));
        var registry = (RecordingRegistry)services.GetRequiredService<ICallSessionRegistry>();

        var (_, sent) = await SendOtpAsync(services);
        var outcome = await services.GetRequiredService<InCallMessagingRuntime>().Loopback!.ReplyAsync(sent, "123456");

        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, outcome);
        Assert.Same(registry, services.GetRequiredService<InCallMessagingRuntime>().Calls);
        Assert.Contains(nameof(ICallSessionRegistry.StartCall), registry.Calls);
        Assert.Contains(nameof(ICallSessionRegistry.IndexOutbound), registry.Calls);
        Assert.Contains(nameof(ICallSessionRegistry.FindByConversation), registry.Calls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_reply_hub_hears_loopback_replies(bool registeredFirst)
    {
        using var services = Build(registeredFirst, s => s.AddSingleton<IReplyHub>(sp =>
            new CountingHub(sp.GetRequiredService<InCallMessagingRuntime>().Replies)));
        var hub = (CountingHub)services.GetRequiredService<IReplyHub>();

        var (session, sent) = await SendOtpAsync(services);
        var outcome = await services.GetRequiredService<InCallMessagingRuntime>().Loopback!.ReplyAsync(sent, "123456");

        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, outcome);
        Assert.Equal(1, hub.Delivered);
        Assert.Equal("123456", session.Variables[CallVariables.SmsReply]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_deduplication_store_is_asked_for_each_reply(bool registeredFirst)
    {
        var store = new RecordingStore();
        using var services = Build(registeredFirst, s => s.AddSingleton<IDeduplicationStore>(store));

        var (_, sent) = await SendOtpAsync(services);
        await services.GetRequiredService<InCallMessagingRuntime>().Loopback!.ReplyAsync(sent, "123456");

        Assert.StartsWith("in:LBin", Assert.Single(store.Keys), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_message_provider_named_like_a_built_in_one_replaces_it(bool registeredFirst)
    {
        var provider = new RecordingProvider(LoopbackMessageProvider.ProviderName);
        using var services = Build(registeredFirst, s => s.AddSingleton<IMessageProvider>(provider));

        var session = services.GetRequiredService<ICallSessionRegistry>().StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(services.GetRequiredService<KernelPlugin>());
        var result = await kernel.WithCallSession(session).InvokeAsync("messaging", "send_otp", new KernelArguments { ["otp_code"] = "123456" });

        Assert.Contains("\"status\":\"sent\"", result.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Your code is 123456. It expires in 10 minutes.", Assert.Single(provider.Sent).Body);
        Assert.Empty(services.GetRequiredService<LoopbackMessageProvider>().SentMessages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_after_call_handler_gets_a_late_reply(bool registeredFirst)
    {
        var handler = new RecordingAfterCallHandler();
        using var services = Build(registeredFirst, s => s.AddSingleton<IAfterCallReplyHandler>(handler));

        var (session, sent) = await SendOtpAsync(services);
        services.GetRequiredService<ICallSessionRegistry>().EndCall(CallId);
        var outcome = await services.GetRequiredService<InCallMessagingRuntime>().Loopback!.ReplyAsync(sent, "too late");

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        var (handled, reply) = Assert.Single(handler.Replies);
        Assert.Same(session, handled);
        Assert.Equal("too late", reply.Text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_status_handler_hears_a_delivery_status(bool registeredFirst)
    {
        var handler = new RecordingStatusHandler();
        using var services = Build(registeredFirst, s => s.AddSingleton<IMessageStatusHandler>(handler));

        var (_, sent) = await SendOtpAsync(services);
        var outcome = await services.GetRequiredService<IReplyHub>().ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sent.MessageId, Status = "delivered" });

        Assert.Equal(StatusUpdateOutcome.Applied, outcome);
        Assert.Equal("delivered", Assert.Single(handler.Statuses).Update.Status);
    }

    [Fact]
    public async Task The_speech_set_on_a_session_says_the_action_lines()
    {
        using var services = Build(registeredFirst: false, _ => { });
        var speech = new RecordingSpeech();

        await SendOtpAsync(services, speech);

        Assert.Equal(["I'm texting you a code now."], speech.Lines);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_reply_media_fetcher_is_the_one_resolved(bool registeredFirst)
    {
        var fetcher = new RecordingFetcher();
        using var services = Build(registeredFirst, s => s.AddSingleton<IReplyMediaFetcher>(fetcher));

        var media = new InboundMedia(new Uri("https://media.example.com/1"), "image/jpeg");
        var fetched = await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(media);

        Assert.Same(media, Assert.Single(fetcher.Fetched));
        Assert.Equal("image/jpeg", fetched.ContentType);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_registered_time_provider_is_the_clock_of_calls_and_replies(bool registeredFirst)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2031-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));
        using var services = Build(registeredFirst, s => s.AddSingleton<TimeProvider>(time));

        var (session, sent) = await SendOtpAsync(services);
        time.Advance(TimeSpan.FromSeconds(7));
        await services.GetRequiredService<InCallMessagingRuntime>().Loopback!.ReplyAsync(sent, "123456");

        Assert.Equal(time.Start, session.StartedAt);
        Assert.Equal(time.Start.AddSeconds(7), session.Messages.Single(m => m.Direction == MessageDirection.Inbound).Timestamp);
    }

    [Fact]
    public async Task Create_builds_on_the_same_registrations_with_the_given_instances()
    {
        var store = new RecordingStore();
        var provider = new RecordingProvider("Custom");
        var options = TestRuntime.Options(TestRuntime.Otp());
        options.Senders["default"] = new MessageSenderOptions { Provider = "Custom", From = TestRuntime.Agent };

        var runtime = InCallMessagingRuntime.Create(options, [provider], deduplicationStore: store);
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        await kernel.WithCallSession(session).InvokeAsync(runtime.Plugin["send_otp"], new KernelArguments { ["otp_code"] = "123456" });
        await runtime.Replies.DeliverAsync(new InboundMessage
        {
            Provider = "Custom", MessageId = "custom-1", Channel = MessageChannel.Sms, From = TestRuntime.Caller, To = TestRuntime.Agent, Text = "123456",
        });

        Assert.Same(options, runtime.Options);
        Assert.Single(provider.Sent);
        Assert.Equal(["in:custom-1"], store.Keys);
        Assert.Same(runtime.Replies, runtime.Loopback!.Hub);
    }

    [Fact]
    public void The_actions_are_compiled_once_for_validation_and_the_runtime()
    {
        using var services = Build(registeredFirst: false, _ => { });

        services.GetRequiredService<IStartupValidator>().Validate();
        var runtime = services.GetRequiredService<InCallMessagingRuntime>();
        services.GetRequiredService<IReplyHub>();
        services.GetRequiredService<KernelPlugin>();
        var monitored = services.GetRequiredService<IOptionsMonitor<InCallMessagingOptions>>().CurrentValue;

        var compilation = services.GetRequiredService<ActionCatalogCompilation>();
        Assert.Equal(1, compilation.Count);
        Assert.Same(monitored, runtime.Options);
        Assert.Same(compilation.Catalog(runtime.Options), services.GetRequiredService<ActionCatalog>());
    }

    [Fact]
    public void Adding_the_plugin_twice_registers_it_once()
    {
        var services = new ServiceCollection();
        services.AddInCallMessaging(Configure);
        services.AddInCallMessaging(Configure);

        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<KernelPlugin>());
        Assert.Single(provider.GetServices<IMessageProvider>(), p => p.Name == LoopbackMessageProvider.ProviderName);
        Assert.Single(provider.GetRequiredService<InCallMessagingRuntime>().Plugin);
    }

    private sealed class RecordingRegistry(ICallSessionRegistry inner) : ICallSessionRegistry
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public int ActiveCount => inner.ActiveCount;

        public int Count => inner.Count;

        public CallSession StartCall(string callId, string callerNumber, string? agentNumber = null, IReadOnlyDictionary<string, string>? metadata = null)
        {
            Calls.Enqueue(nameof(StartCall));
            return inner.StartCall(callId, callerNumber, agentNumber, metadata);
        }

        public bool EndCall(string callId)
        {
            Calls.Enqueue(nameof(EndCall));
            return inner.EndCall(callId);
        }

        public CallSession? Find(string callId)
        {
            Calls.Enqueue(nameof(Find));
            return inner.Find(callId);
        }

        public CallSession? FindByConversation(MessageChannel channel, string caller, string senderName)
        {
            Calls.Enqueue(nameof(FindByConversation));
            return inner.FindByConversation(channel, caller, senderName);
        }

        public CallSession? FindByMessageId(string messageId)
        {
            Calls.Enqueue(nameof(FindByMessageId));
            return inner.FindByMessageId(messageId);
        }

        public void IndexOutbound(CallSession session, CallMessage message)
        {
            Calls.Enqueue(nameof(IndexOutbound));
            inner.IndexOutbound(session, message);
        }
    }

    private sealed class CountingHub(IReplyHub inner) : IReplyHub
    {
        private int _delivered;

        public int Delivered => Volatile.Read(ref _delivered);

        public IReadOnlyList<InboundMessage> UnmatchedReplies => inner.UnmatchedReplies;

        public ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _delivered);
            return inner.DeliverAsync(message, cancellationToken);
        }

        public ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default) =>
            inner.ApplyStatusAsync(update, cancellationToken);
    }

    private sealed class RecordingStore : IDeduplicationStore
    {
        private readonly ConcurrentDictionary<string, bool> _keys = new(StringComparer.Ordinal);

        public IReadOnlyList<string> Keys => [.. _keys.Keys];

        public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(_keys.TryAdd(key, true));
    }

    private sealed class RecordingProvider(string name) : IMessageProvider
    {
        private int _sequence;

        public ConcurrentQueue<OutboundMessage> Sent { get; } = new();

        public string Name => name;

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Sent.Enqueue(message);
            return ValueTask.FromResult(SendResult.Sent($"{name}-{Interlocked.Increment(ref _sequence)}", "queued"));
        }
    }

    private sealed class RecordingAfterCallHandler : IAfterCallReplyHandler
    {
        public ConcurrentQueue<(CallSession Session, InboundMessage Reply)> Replies { get; } = new();

        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            Replies.Enqueue((session, reply));
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingStatusHandler : IMessageStatusHandler
    {
        public ConcurrentQueue<MessageStatusEvent> Statuses { get; } = new();

        public Task HandleStatusAsync(MessageStatusEvent status, CancellationToken cancellationToken)
        {
            Statuses.Enqueue(status);
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingFetcher : IReplyMediaFetcher
    {
        public ConcurrentQueue<InboundMedia> Fetched { get; } = new();

        public Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default)
        {
            Fetched.Enqueue(media);
            return Task.FromResult(new FetchedMedia(media.Url, media.ContentType, new byte[] { 1, 2, 3 }));
        }
    }
}
