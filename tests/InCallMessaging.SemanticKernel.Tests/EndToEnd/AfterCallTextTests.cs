using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using static InCallMessaging.Testing.AfterCallActions;

namespace InCallMessaging.SemanticKernel.Tests.EndToEnd;

/// <summary>
/// Post-call follow-up texts (issue 17, point 1) through SK's real OpenAI connector and function calling against the
/// scripted OpenAI-compatible server: an after-call action called during the call is scheduled and sent once when the
/// call ends; <see cref="InCallMessagingRuntime.RunAfterCallAsync"/> offers only the after-call actions and sends at once.
/// </summary>
public sealed class AfterCallTextTests : IAsyncLifetime
{
    private const string CallId = "CA00000000000000000000000000000171";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    private Kernel Kernel()
    {
        var builder = Microsoft.SemanticKernel.Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        return builder.Build();
    }

    private static async Task TurnAsync(InCallChatCompletionService chat, ChatHistory history, string said)
    {
        history.AddUserMessage(said);
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        history.Add(await chat.GetChatMessageContentAsync(history, settings));
    }

    private static async Task<LoggedMessage> WaitForStatusAsync(InCallMessagingRuntime runtime, string status)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            // Read until the status shows (the in-memory log renames a message to its provider id as the status lands).
            if ((await runtime.MessageLog.GetCallAsync(CallId)).FirstOrDefault(m => m.Status == status) is { } logged)
            {
                Assert.Single(await runtime.MessageLog.GetCallAsync(CallId));
                return logged;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private async Task<(InCallMessagingRuntime Runtime, CallSession Session)> ScheduleDuringCallAsync()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), Confirmation()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var chat = Kernel().UseInCallMessaging(session);
        _llm.Then(ScriptedTurn.Call("messaging-send_confirmation", new { day = "Friday" }))
            .Then(ScriptedTurn.Text("You're booked for Friday; I'll text the confirmation after the call."));

        await TurnAsync(chat, [], "Book me a table for Friday and text me the confirmation.");

        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!;
        Assert.Equal("scheduled", (string?)result["status"]);
        Assert.Empty(runtime.Loopback!.SentMessages);
        return (runtime, session);
    }

    [Fact]
    public async Task Called_during_the_call_it_is_scheduled_then_sent_once_when_the_call_ends()
    {
        var (runtime, _) = await ScheduleDuringCallAsync();
        var scheduled = Assert.Single(await runtime.MessageLog.GetCallAsync(CallId));
        Assert.Equal("scheduled", scheduled.Status);
        Assert.Equal("send_confirmation", scheduled.ActionName);

        Assert.True(runtime.Calls.EndCall(CallId));
        var sent = await runtime.Loopback!.WaitForMessageAsync().WaitAsync(Patience);

        Assert.Equal("Your table is booked for Friday. Reply STOP to opt out.", sent.Message.Body);
        Assert.Equal(TestRuntime.Caller, sent.Message.To);
        var logged = await WaitForStatusAsync(runtime, "queued");
        Assert.Equal(sent.MessageId, logged.MessageId);
        Assert.Equal(["queued"], logged.StatusHistory.Select(s => s.Status));

        // Ending again, and the start-up sweep of ended calls, send nothing more.
        Assert.False(runtime.Calls.EndCall(CallId));
        Assert.Equal(0, await runtime.SendScheduledTextsAsync());
        await runtime.AfterCall.WhenIdleAsync();
        Assert.Single(runtime.Loopback.SentMessages);
    }

    [Fact]
    public async Task A_caller_who_opts_out_before_the_call_ends_is_not_texted_and_the_log_says_blocked()
    {
        var (runtime, _) = await ScheduleDuringCallAsync();
        await runtime.Consent.SetOptedOutAsync(CallerKeys.Of(TestRuntime.Caller), TestRuntime.Agent, optedOut: true, DateTimeOffset.UtcNow);

        Assert.True(runtime.Calls.EndCall(CallId));
        var logged = await WaitForStatusAsync(runtime, "blocked");
        await runtime.AfterCall.WhenIdleAsync();

        Assert.Equal("opted_out", logged.ErrorCode);
        Assert.Empty(runtime.Loopback!.SentMessages);
        Assert.Equal(0, await runtime.SendScheduledTextsAsync());
        Assert.Empty(runtime.Loopback.SentMessages);
    }

    [Fact]
    public async Task A_send_whose_outcome_is_unknown_is_logged_so_and_never_repeated()
    {
        var (runtime, _) = await ScheduleDuringCallAsync();
        var attempts = 0;
        runtime.Loopback!.Responder = _ =>
        {
            Interlocked.Increment(ref attempts);
            return SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, "The provider timed out.");
        };

        Assert.True(runtime.Calls.EndCall(CallId));
        var logged = await WaitForStatusAsync(runtime, "unknown");
        await runtime.AfterCall.WhenIdleAsync();

        Assert.Equal(DeliveryState.Unknown, logged.State);
        Assert.Equal(0, await runtime.SendScheduledTextsAsync());
        Assert.Equal(1, Volatile.Read(ref attempts));
    }

    [Fact]
    public async Task Erasing_the_caller_erases_a_scheduled_text_so_it_is_never_sent()
    {
        var (runtime, _) = await ScheduleDuringCallAsync();

        Assert.Equal(1, await runtime.ForgetCallerAsync(TestRuntime.Caller));
        Assert.True(runtime.Calls.EndCall(CallId));
        await runtime.AfterCall.WhenIdleAsync();

        Assert.Empty(runtime.Loopback!.SentMessages);
        Assert.Empty(await runtime.MessageLog.GetCallAsync(CallId));
    }

    [Fact]
    public async Task An_opted_out_caller_is_not_scheduled_at_all()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(Confirmation()));
        await runtime.Consent.SetOptedOutAsync(CallerKeys.Of(TestRuntime.Caller), TestRuntime.Agent, optedOut: true, DateTimeOffset.UtcNow);
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        _llm.Then(ScriptedTurn.Call("messaging-send_confirmation", new { day = "Friday" })).Then(ScriptedTurn.Text("OK."));

        await TurnAsync(Kernel().UseInCallMessaging(session), [], "Text me the confirmation.");
        runtime.Calls.EndCall(CallId);
        await runtime.AfterCall.WhenIdleAsync();

        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!;
        Assert.Equal("blocked", (string?)result["status"]);
        Assert.Equal("opted_out", (string?)result["reason"]);
        Assert.Empty(runtime.Loopback!.SentMessages);
        Assert.Empty(await runtime.MessageLog.GetCallAsync(CallId));
    }

    [Fact]
    public async Task Run_after_call_offers_only_the_after_call_actions_and_sends_the_confirmation_at_once()
    {
        var confirmation = Confirmation();
        confirmation.MessageBeforeAction = "I'm texting you the confirmation now.";
        confirmation.MessageOnDelay = "One moment.";
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), confirmation, TestRuntime.Summary()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var speech = new RecordingSpeech();
        session.Speech = speech;
        var history = new ChatHistory("You are a restaurant's voice agent.");
        history.AddUserMessage("A table for two on Saturday, please.");
        history.AddAssistantMessage("Done: you're booked for Saturday at 8.");
        runtime.Calls.EndCall(CallId);
        _llm.Then(ScriptedTurn.Call("messaging-send_confirmation", new { day = "Saturday" }))
            .Then(ScriptedTurn.Text(""));
        var kernel = Kernel();

        var results = await runtime.RunAfterCallAsync(session, history, kernel.GetRequiredService<IChatCompletionService>(), kernel);

        var tools = ScriptedOpenAIServer.ToolsOf(_llm.Requests[0])!.Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Equal(["messaging-send_confirmation"], tools);
        var messages = ScriptedOpenAIServer.MessagesOf(_llm.Requests[0]);
        Assert.Equal("Done: you're booked for Saturday at 8.", messages[^2]!["content"]!.ToString());
        Assert.Equal("system", (string?)messages[^1]!["role"]);
        var done = Assert.Single(results);
        Assert.Equal(("send_confirmation", "sent"), (done.ActionName, done.Status));
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("Your table is booked for Saturday. Reply STOP to opt out.", sent.Message.Body);
        Assert.Equal("queued", Assert.Single(await runtime.MessageLog.GetCallAsync(CallId)).Status);
        Assert.Equal(3, history.Count);
        Assert.Empty(speech.Lines);   // nobody is listening after the call
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Run_after_call_keeps_to_the_calls_message_cap()
    {
        var options = TestRuntime.Options(TestRuntime.Otp(), Confirmation());
        options.MaxMessagesPerCall = 1;
        var runtime = TestRuntime.Create(options);
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var kernel = Kernel();
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "135790" })).Then(ScriptedTurn.Text("Code sent."));
        await TurnAsync(kernel.UseInCallMessaging(session), [], "Text me a code.");
        runtime.Calls.EndCall(CallId);
        _llm.Then(ScriptedTurn.Call("messaging-send_confirmation", new { day = "Sunday" })).Then(ScriptedTurn.Text(""));

        var results = await runtime.RunAfterCallAsync(session, [], kernel.GetRequiredService<IChatCompletionService>(), kernel);

        var done = Assert.Single(results);
        Assert.Equal("blocked", done.Status);
        Assert.Equal("message_limit", (string?)JsonNode.Parse(done.Result)!["reason"]);
        Assert.Equal("Your code is 135790. It expires in 10 minutes.", Assert.Single(runtime.Loopback!.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Run_after_call_with_no_after_call_action_asks_no_model()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        runtime.Calls.EndCall(CallId);
        var kernel = Kernel();

        var results = await runtime.RunAfterCallAsync(session, [], kernel.GetRequiredService<IChatCompletionService>());

        Assert.Empty(results);
        Assert.Empty(_llm.Requests);
    }

    [Fact]
    public async Task Run_after_call_does_not_offer_an_after_call_action_the_call_already_scheduled()
    {
        var (runtime, session) = await ScheduleDuringCallAsync();
        Assert.True(runtime.Calls.EndCall(CallId));
        await runtime.Loopback!.WaitForMessageAsync().WaitAsync(Patience);
        var requests = _llm.Requests.Count;
        var kernel = Kernel();

        var results = await runtime.RunAfterCallAsync(session, [], kernel.GetRequiredService<IChatCompletionService>(), kernel);

        Assert.Empty(results);
        Assert.Equal(requests, _llm.Requests.Count);   // nothing left to offer: no model asked
        await runtime.AfterCall.WhenIdleAsync();
        Assert.Single(runtime.Loopback.SentMessages);
    }

    [Fact]
    public async Task Run_after_call_refuses_a_live_call()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(Confirmation()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var kernel = Kernel();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            runtime.RunAfterCallAsync(session, [], kernel.GetRequiredService<IChatCompletionService>()));

        Assert.Contains("EndCall", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_in_memory_store_a_host_that_stops_sends_the_texts_of_its_live_calls()
    {
        using var call = await StartHostWithScheduledTextAsync();
        var (host, runtime, session) = (call.Host, call.Runtime, call.Session);
        Assert.Empty(runtime.Loopback!.SentMessages);

        await host.StopAsync();

        Assert.Equal("Your table is booked for Monday. Reply STOP to opt out.", Assert.Single(runtime.Loopback.SentMessages).Message.Body);
        Assert.True(session.IsActive);   // the host never ended the call; its text went out with the process
    }

    [Fact]
    public async Task A_text_whose_send_at_the_call_end_could_not_start_is_sent_by_the_next_sweep()
    {
        var store = new UnreachableUntilToldScheduledStore();
        using var call = await StartHostWithScheduledTextAsync(services => services.AddSingleton<IScheduledMessageStore>(store));
        var (host, runtime) = (call.Host, call.Runtime);
        using var patience = new CancellationTokenSource(Patience);

        // The call ends while the store cannot be written: its send cannot take the text, so nothing goes out.
        await EndWhileTheStoreIsDownAsync(runtime, store, patience.Token);

        // The store is back: a sweep finds the ended call's text and sends it, once.
        store.Reachable = true;
        var sent = await runtime.Loopback!.WaitForMessageAsync(cancellationToken: patience.Token);
        Assert.Equal("Your table is booked for Monday. Reply STOP to opt out.", sent.Message.Body);
        Assert.Empty(await store.GetPendingAsync(null));
        await host.StopAsync();
        Assert.Single(runtime.Loopback.SentMessages);
    }

    [Fact]
    public async Task A_host_that_stops_while_a_sweep_is_sending_finishes_that_send_instead_of_dropping_the_taken_text()
    {
        var store = new UnreachableUntilToldScheduledStore();
        var provider = new GatedProvider();
        using var call = await StartHostWithScheduledTextAsync(
            services => services.AddSingleton<IScheduledMessageStore>(store).AddSingleton<IMessageProvider>(provider), provider.Name);
        var (host, runtime) = (call.Host, call.Runtime);
        using var patience = new CancellationTokenSource(Patience);
        await EndWhileTheStoreIsDownAsync(runtime, store, patience.Token);

        // A sweep takes the text and starts its send; the host begins to stop while the provider has not answered.
        store.Reachable = true;
        await provider.Started.Task.WaitAsync(patience.Token);
        var stopping = host.StopAsync(patience.Token);
        await Task.Delay(200, patience.Token);   // let the stop reach the sweep, whose token it cancels
        provider.Answer.SetResult();
        await stopping;

        Assert.False(provider.SawCancellation);
        Assert.Equal("Your table is booked for Monday. Reply STOP to opt out.", Assert.Single(provider.Sent).Body);
        Assert.Equal("queued", Assert.Single(await runtime.MessageLog.GetCallAsync(CallId)).Status);
    }

    /// <summary>
    /// A host with the confirmation action (sweeping every second), and a call on it that scheduled its confirmation for
    /// Monday: <paramref name="services"/> adds to the host's services before the plugin's; the sender uses <paramref name="provider"/>.
    /// </summary>
    private static async Task<HostedCall> StartHostWithScheduledTextAsync(
        Action<IServiceCollection>? services = null, string provider = "Loopback")
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        services?.Invoke(builder.Services);
        builder.Services.AddInCallMessaging(options =>
        {
            options.Senders["default"] = new MessageSenderOptions { Provider = provider, From = TestRuntime.Agent };
            options.Actions.Add(Confirmation());
            options.ScheduledTextSweepInterval = TimeSpan.FromSeconds(1);
        });
        var host = builder.Build();
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<InCallMessagingRuntime>();
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var kernel = new Microsoft.SemanticKernel.Kernel();
        kernel.Plugins.Add(runtime.Plugin);
        var result = await kernel.WithCallSession(session).InvokeAsync(runtime.Plugin["send_confirmation"], new KernelArguments { ["day"] = "Monday" });
        Assert.Equal("scheduled", (string?)JsonNode.Parse(result.GetValue<string>()!)!["status"]);
        return new HostedCall(host, runtime, session);
    }

    /// <summary>A started host and one call on it; disposing disposes of the host.</summary>
    private sealed record HostedCall(IHost Host, InCallMessagingRuntime Runtime, CallSession Session) : IDisposable
    {
        public void Dispose() => Host.Dispose();
    }

    /// <summary>Ends the call while <paramref name="store"/> refuses takes, and waits until its send at the end was refused.</summary>
    private static async Task EndWhileTheStoreIsDownAsync(InCallMessagingRuntime runtime, UnreachableUntilToldScheduledStore store, CancellationToken patience)
    {
        Assert.True(runtime.Calls.EndCall(CallId));
        while (store.RefusedTakes == 0)
        {
            await Task.Delay(20, patience);
        }

        Assert.Empty(runtime.Loopback?.SentMessages ?? []);
    }

    /// <summary>A provider whose first send waits until the test answers for it.</summary>
    private sealed class GatedProvider : IMessageProvider
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<OutboundMessage> Sent { get; } = new();

        public volatile bool SawCancellation;

        public string Name => "Gated";

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            using (cancellationToken.Register(() => SawCancellation = true))
            {
                await Answer.Task;
            }

            Sent.Enqueue(message);
            return SendResult.Sent("SM" + Guid.NewGuid().ToString("N"), "queued");
        }
    }

    [Fact]
    public void A_sweep_interval_out_of_range_fails_at_start_up_naming_the_field()
    {
        var options = TestRuntime.Options(Confirmation());
        options.ScheduledTextSweepInterval = TimeSpan.Zero;

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => TestRuntime.Create(options));

        Assert.Contains(error.Errors, e => e.Contains("ScheduledTextSweepInterval", StringComparison.Ordinal));
    }

    /// <summary>A scheduled-text store whose takes fail, as a store that is down would, until <see cref="Reachable"/>.</summary>
    private sealed class UnreachableUntilToldScheduledStore : IScheduledMessageStore
    {
        private readonly InMemoryScheduledMessageStore _inner = new();
        private int _refused;

        public volatile bool Reachable;

        public int RefusedTakes => Volatile.Read(ref _refused);

        public ValueTask AddAsync(ScheduledMessage message, CancellationToken cancellationToken = default) => _inner.AddAsync(message, cancellationToken);

        public ValueTask<IReadOnlyList<ScheduledMessage>> GetPendingAsync(string? callId, CancellationToken cancellationToken = default) =>
            _inner.GetPendingAsync(callId, cancellationToken);

        public ValueTask<bool> TryTakeAsync(string id, CancellationToken cancellationToken = default)
        {
            if (!Reachable)
            {
                Interlocked.Increment(ref _refused);
                throw new StateStoreException("test store", "it is down");
            }

            return _inner.TryTakeAsync(id, cancellationToken);
        }
    }

    [Fact]
    public void An_undefined_timing_fails_at_start_up_naming_the_field()
    {
        var action = Confirmation();
        action.When = (ActionTiming)7;

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => TestRuntime.Create(TestRuntime.Options(action)));

        Assert.Contains(error.Errors, e => e.Contains("When '7'", StringComparison.Ordinal) && e.Contains("AfterCall", StringComparison.Ordinal));
    }

    [Fact]
    public void An_after_call_action_that_waits_for_a_reply_fails_at_start_up()
    {
        var action = Confirmation();
        action.WaitForReply = true;

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => TestRuntime.Create(TestRuntime.Options(action)));

        Assert.Contains(error.Errors, e => e.Contains("send_confirmation", StringComparison.Ordinal) && e.Contains("WaitForReply", StringComparison.Ordinal)
            && e.Contains("AfterCall", StringComparison.Ordinal));
    }
}
