using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.State;

/// <summary>
/// Issue 13 through the core: a "restart" is a second runtime over the same stores (a fresh process keeps nothing
/// else). The same flows run over a SQLite file and a real host in the SQLite package's tests.
/// </summary>
public sealed class StateAcrossRestartTests
{
    private const string TemplateId = "HX0123456789abcdef0123456789abcdef";
    private const string WhatsAppNumber = "+14155550198";

    private readonly InMemoryConsentStore _consent = new();
    private readonly InMemoryMessageLog _log = new();
    private readonly InMemoryDeduplicationStore _dedupe = new();
    private readonly FakeTimeProvider _time = new(Harness.Start0);
    private readonly ConcurrentQueue<(CallSession Session, InboundMessage Reply)> _afterCall = new();

    private InCallMessagingRuntime Boot(InCallMessagingOptions? options = null) =>
        InCallMessagingRuntime.Create(options ?? TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary(), Booking()), timeProvider: _time,
            afterCallHandlers: [new RecordingAfterCall(_afterCall)], deduplicationStore: _dedupe, consentStore: _consent, messageLog: _log);

    private static Kernel KernelFor(InCallMessagingRuntime runtime, CallSession session)
    {
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        return kernel.WithCallSession(session);
    }

    private static async Task<string> InvokeAsync(InCallMessagingRuntime runtime, CallSession session, string function, KernelArguments arguments) =>
        (await KernelFor(runtime, session).InvokeAsync(runtime.Plugin[function], arguments)).GetValue<string>()!;

    private static InCallMessageAction Booking() => new()
    {
        Name = "send_booking",
        Description = "Send the booking confirmation on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Body = "Booking <booking_ref> is confirmed.",
        Parameters = new ActionParameters
        {
            Properties = { ["booking_ref"] = new ActionParameter { Description = "The booking reference." } },
            Required = { "booking_ref" },
        },
        Template = new WhatsAppTemplate { TemplateId = TemplateId, Variables = { ["1"] = "{{ booking_ref }}" } },
    };

    [Fact]
    public async Task A_caller_who_texted_STOP_is_not_texted_after_a_restart()
    {
        var before = Boot();
        before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await before.Replies.DeliverAsync(Harness.Inbound("STOP")));

        var after = Boot();
        var session = after.Calls.StartCall("CA2", TestRuntime.Caller, TestRuntime.Agent);
        var result = await InvokeAsync(after, session, "send_otp", new() { ["otp_code"] = "123456" });

        Assert.Contains("\"reason\":\"opted_out\"", result, StringComparison.Ordinal);
        Assert.Empty(after.Loopback!.SentMessages);
    }

    [Fact]
    public async Task An_opt_out_is_kept_by_the_sending_number_so_renaming_the_sender_loses_nothing()
    {
        var before = Boot();
        before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await before.Replies.DeliverAsync(Harness.Inbound("STOP"));

        var renamed = TestRuntime.Options();
        renamed.Senders.Remove("default");
        renamed.Senders["main-line"] = new MessageSenderOptions { Provider = "Loopback", From = TestRuntime.Agent };
        var otp = TestRuntime.Otp();
        otp.Sender = "main-line";
        renamed.Actions.Add(otp);
        var after = Boot(renamed);
        var session = after.Calls.StartCall("CA2", TestRuntime.Caller, TestRuntime.Agent);

        var result = await InvokeAsync(after, session, "send_otp", new() { ["otp_code"] = "123456" });

        Assert.Contains("\"reason\":\"opted_out\"", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_redelivered_after_a_restart_is_not_delivered_again()
    {
        var before = Boot();
        before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        var reply = Harness.Inbound("yes please", id: "SM00000000000000000000000000000001");
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await before.Replies.DeliverAsync(reply));

        var after = Boot();
        var session = after.Calls.StartCall("CA2", TestRuntime.Caller, TestRuntime.Agent);

        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await after.Replies.DeliverAsync(reply));
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public async Task The_WhatsApp_window_opened_before_a_restart_still_allows_free_form()
    {
        var before = Boot();
        before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await before.Replies.DeliverAsync(Harness.Inbound("hi", to: WhatsAppNumber, channel: MessageChannel.WhatsApp));
        _time.Advance(TimeSpan.FromHours(2));

        var after = Boot();
        var session = after.Calls.StartCall("CA2", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(after, session, "send_booking", new() { ["booking_ref"] = "ab12" });

        var sent = Assert.Single(after.Loopback!.SentMessages).Message;
        Assert.Equal("Booking ab12 is confirmed.", sent.Body);
        Assert.Null(sent.Content);
    }

    [Fact]
    public async Task A_reply_after_a_restart_to_a_call_that_ended_before_it_reaches_the_after_call_handlers_with_its_context()
    {
        var before = Boot();
        var call = before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(before, call, "send_otp", new() { ["otp_code"] = "123456" });
        var sentId = Assert.Single(call.Messages).MessageId;
        before.Calls.EndCall("CA1");
        _time.Advance(TimeSpan.FromMinutes(5));

        var after = Boot();
        var outcome = await after.Replies.DeliverAsync(Harness.Inbound("got it, thanks"));

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        var (session, reply) = Assert.Single(_afterCall);
        Assert.Equal("CA1", session.CallId);
        Assert.False(session.IsActive);
        Assert.Equal(sentId, reply.InReplyToMessageId);
        var sent = session.Messages.First(m => m.Direction == MessageDirection.Outbound);
        Assert.Equal("send_otp", sent.ActionName);
        Assert.Equal(sentId, sent.MessageId);
        Assert.Equal("got it, thanks", session.Messages[^1].Text);
    }

    [Fact]
    public async Task A_reply_to_a_call_that_ended_longer_ago_than_the_retention_stays_unmatched()
    {
        var before = Boot();
        var call = before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(before, call, "send_otp", new() { ["otp_code"] = "123456" });
        before.Calls.EndCall("CA1");
        _time.Advance(before.Options.EndedCallRetention + TimeSpan.FromMinutes(1));

        var after = Boot();

        Assert.Equal(ReplyDeliveryOutcome.Unmatched, await after.Replies.DeliverAsync(Harness.Inbound("hello?")));
        Assert.Empty(_afterCall);
    }

    [Fact]
    public async Task A_status_callback_after_a_restart_updates_the_logged_message()
    {
        var before = Boot();
        var call = before.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(before, call, "send_otp", new() { ["otp_code"] = "123456" });
        var sentId = Assert.Single(call.Messages).MessageId;

        var after = Boot();
        var outcome = await after.Replies.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sentId, Status = "undelivered", ErrorCode = "30003" });

        Assert.Equal(StatusUpdateOutcome.Applied, outcome);
        var logged = await _log.FindAsync(sentId);
        Assert.NotNull(logged);
        Assert.Equal("undelivered", logged.Status);
        Assert.Equal(DeliveryState.Undelivered, logged.State);
        Assert.Equal("30003", logged.ErrorCode);
        Assert.Equal("undelivered", Assert.Single(logged.StatusHistory).Status);
        Assert.Equal(StatusUpdateOutcome.Ignored, await after.Replies.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sentId, Status = "sent" }));
    }

    [Fact]
    public async Task Every_message_of_a_call_is_logged_with_text_and_number_kept_only_as_configured()
    {
        var runtime = Boot();
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });
        await runtime.Replies.DeliverAsync(Harness.Inbound("123456"));

        var logged = await _log.GetCallAsync("CA1");

        Assert.Equal([MessageDirection.Outbound, MessageDirection.Inbound], logged.Select(m => m.Direction));
        Assert.All(logged, m => Assert.Null(m.Text));
        Assert.All(logged, m => Assert.DoesNotContain("5550100", m.Caller, StringComparison.Ordinal));
        Assert.All(logged, m => Assert.Equal(CallerKeys.Of(TestRuntime.Caller), m.CallerKey));
        Assert.Equal("send_otp", logged[0].ActionName);
        Assert.Equal(TestRuntime.Agent, logged[0].SenderIdentity);
        Assert.Equal("CA1", logged[1].CallId);
        Assert.NotEqual(logged[0].ContentHash, logged[1].ContentHash);
    }

    [Fact]
    public async Task With_StoreMessageText_and_StoreCallerNumbers_the_log_keeps_them()
    {
        var options = TestRuntime.Options(TestRuntime.Otp());
        options.State.StoreMessageText = true;
        options.State.StoreCallerNumbers = true;
        var runtime = Boot(options);
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });

        var logged = Assert.Single(await _log.GetCallAsync("CA1"));

        Assert.Equal("Your code is 123456. It expires in 10 minutes.", logged.Text);
        Assert.Equal(TestRuntime.Caller, logged.Caller);
    }

    [Fact]
    public async Task ForgetCallerAsync_erases_the_callers_messages_and_keeps_the_opt_out()
    {
        var runtime = Boot();
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });
        await runtime.Replies.DeliverAsync(Harness.Inbound("STOP"));

        var erased = await runtime.ForgetCallerAsync("(415) 555-0100".Insert(0, "+1 "));

        Assert.Equal(2, erased);
        Assert.Empty(await _log.GetCallAsync("CA1"));
        Assert.True((await _consent.GetAsync(CallerKeys.Of(TestRuntime.Caller), TestRuntime.Agent)).OptedOut);
    }

    [Fact]
    public async Task A_consent_store_that_cannot_be_read_blocks_the_send_and_nothing_goes_out()
    {
        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(TestRuntime.Otp()), timeProvider: _time, consentStore: new BrokenConsentStore());
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);

        var result = await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });

        Assert.Contains("\"reason\":\"state_unavailable\"", result, StringComparison.Ordinal);
        Assert.Empty(runtime.Loopback!.SentMessages);
    }

    [Fact]
    public async Task An_inbound_message_the_log_cannot_record_throws_and_is_not_marked_seen_so_the_retry_is_delivered()
    {
        var log = new FaultyMessageLog { Broken = true };
        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(TestRuntime.Otp()), timeProvider: _time, deduplicationStore: _dedupe, messageLog: log);
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        var reply = Harness.Inbound("hello", id: "SM00000000000000000000000000000002");

        await Assert.ThrowsAsync<StateStoreException>(async () => await runtime.Replies.DeliverAsync(reply));
        Assert.False(call.HasPendingReplies);

        log.Broken = false;
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await runtime.Replies.DeliverAsync(reply));
        Assert.True(call.HasPendingReplies);
    }

    [Fact]
    public async Task A_send_that_cannot_be_logged_still_counts_as_sent_and_is_not_sent_twice()
    {
        var log = new FaultyMessageLog { Broken = true };
        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(TestRuntime.Otp()), timeProvider: _time, messageLog: log);
        var call = runtime.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);

        var first = await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });
        var again = await InvokeAsync(runtime, call, "send_otp", new() { ["otp_code"] = "123456" });

        Assert.Contains("\"status\":\"sent\"", first, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"duplicate\"", again, StringComparison.Ordinal);
        Assert.Single(runtime.Loopback!.SentMessages);
    }

    [Fact]
    public async Task The_retention_job_deletes_logged_messages_past_MessageRetention_when_the_host_starts_and_then_on_its_interval()
    {
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(_time).AddSingleton<IMessageLog>(_log);
        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { From = TestRuntime.Agent };
            o.Actions.Add(TestRuntime.Summary());
            o.State.MessageRetention = TimeSpan.FromDays(7);
            o.State.RetentionInterval = TimeSpan.FromHours(1);
        });
        await _log.TryAddAsync(Logged("SMold", _time.GetUtcNow() - TimeSpan.FromDays(8)));
        await _log.TryAddAsync(Logged("SMnew", _time.GetUtcNow() - TimeSpan.FromDays(6)));
        using var provider = services.BuildServiceProvider();
        var job = provider.GetServices<IHostedService>().OfType<MessageRetentionService>().Single();

        await job.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await EventuallyAsync(async () => await _log.FindAsync("SMold") is null));
            Assert.NotNull(await _log.FindAsync("SMnew"));

            _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
            Assert.True(await EventuallyAsync(async () => await _log.FindAsync("SMnew") is null));
        }
        finally
        {
            await job.StopAsync(CancellationToken.None);
        }
    }

    private static LoggedMessage Logged(string id, DateTimeOffset at) => new()
    {
        MessageId = id,
        Direction = MessageDirection.Outbound,
        Channel = MessageChannel.Sms,
        CallId = "CA-old",
        SenderName = "default",
        SenderIdentity = TestRuntime.Agent,
        CallerKey = CallerKeys.Of(TestRuntime.Caller),
        Caller = "+1415***0100",
        ContentHash = "0",
        CreatedAt = at,
        Status = "sent",
    };

    /// <summary>Polls a condition on a background job's effect; the timeout is a safety net, not a timed assertion.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Harness.Safety;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private sealed class RecordingAfterCall(ConcurrentQueue<(CallSession, InboundMessage)> seen) : IAfterCallReplyHandler
    {
        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            seen.Enqueue((session, reply));
            return Task.CompletedTask;
        }
    }

    private sealed class BrokenConsentStore : IConsentStore
    {
        private static StateStoreException Down() => new("Test store", "it is down; start it again.");

        public ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken = default) => throw Down();

        public ValueTask<bool> SetOptedOutAsync(string callerKey, string senderIdentity, bool optedOut, DateTimeOffset at, CancellationToken cancellationToken = default) => throw Down();

        public ValueTask RecordWhatsAppInboundAsync(string callerKey, string senderIdentity, DateTimeOffset at, CancellationToken cancellationToken = default) => throw Down();
    }
}
