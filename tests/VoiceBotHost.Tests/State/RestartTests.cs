using System.Collections.Concurrent;
using System.Net;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.State;

/// <summary>
/// Issue 13, point 3: the sample host (a real WebApplication on Kestrel, SQLite by default) is stopped and started
/// again over the same database file, as a deploy would; nothing it learned is lost and nothing is done twice.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private const string WhatsAppTemplate = "HX0123456789abcdef0123456789abcdef";
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"voicebot-restart-{Guid.NewGuid():N}.db");
    private readonly ConcurrentQueue<(CallSession Session, InboundMessage Reply)> _afterCall = new();

    public void Dispose()
    {
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }
    }

    private Task<TestSupport.VoiceBotTestHost> BootAsync() =>
        StartAsync(settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:InCallMessaging"] = $"Data Source={_database}",
            // A WhatsApp action with a free-form body and an approved template, to see which one goes out.
            ["InCallMessaging:Actions:5:Name"] = "send_directions",
            ["InCallMessaging:Actions:5:Description"] = "Send the caller directions to the store on WhatsApp.",
            ["InCallMessaging:Actions:5:Channel"] = "WhatsApp",
            ["InCallMessaging:Actions:5:Sender"] = "whatsapp",
            ["InCallMessaging:Actions:5:Body"] = "Acme is at 1 Main Street, next to the station.",
            ["InCallMessaging:Actions:5:Template:TemplateId"] = WhatsAppTemplate,
        }, configure: builder => builder.Services.AddSingleton<IAfterCallReplyHandler>(new RecordingAfterCall(_afterCall)));

    private static async Task<string> InvokeAsync(TestSupport.VoiceBotTestHost host, CallSession session, string function, KernelArguments arguments)
    {
        var runtime = host.App.Services.GetRequiredService<InCallMessagingRuntime>();
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        var result = await kernel.WithCallSession(session).InvokeAsync(runtime.Plugin[function], arguments);
        return result.GetValue<string>()!;
    }

    private static IMessageLog Log(TestSupport.VoiceBotTestHost host) => host.App.Services.GetRequiredService<InCallMessagingRuntime>().MessageLog;

    [Fact]
    public async Task The_sample_keeps_its_state_in_SQLite_by_default()
    {
        await using var host = await BootAsync();

        Assert.Equal($"SQLite ({_database})", Log(host).ToString());
        Assert.True(File.Exists(_database));
    }

    [Fact]
    public async Task STOP_then_restart_then_send_is_blocked_as_opted_out()
    {
        await using (var before = await BootAsync())
        {
            using var stop = await before.PostSignedAsync("/twilio/messages", InboundSms("STOP"));
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }

        await using var after = await BootAsync();
        var session = after.Calls.StartCall(NewCallSid(), Caller, SmsSender);
        var result = await InvokeAsync(after, session, "send_summary", new() { ["message"] = "Your order ships Monday." });

        Assert.Contains("\"reason\":\"opted_out\"", result, StringComparison.Ordinal);
        Assert.DoesNotContain(after.Loopback.SentMessages, m => m.Message.To == Caller);
    }

    [Fact]
    public async Task A_webhook_redelivered_after_a_restart_is_answered_200_and_not_delivered_again()
    {
        var reply = InboundSms("On my way");
        await using (var before = await BootAsync())
        {
            before.Calls.StartCall(NewCallSid(), Caller, SmsSender);
            using var first = await before.PostSignedAsync("/twilio/messages", reply);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await using var after = await BootAsync();
        var session = after.Calls.StartCall(NewCallSid(), Caller, SmsSender);
        using var again = await after.PostSignedAsync("/twilio/messages", reply);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False(session.HasPendingReplies);
        Assert.Null(session.GetVariable("sms_reply"));
        var logged = await Log(after).FindAsync(reply.Single(p => p.Key == "MessageSid").Value);
        Assert.Equal(MessageDirection.Inbound, logged?.Direction);
    }

    [Fact]
    public async Task A_WhatsApp_window_opened_before_a_restart_still_allows_free_form_after_it()
    {
        await using (var before = await BootAsync())
        {
            using var hello = await before.PostSignedAsync("/twilio/messages", InboundSms("hi", from: "whatsapp:" + Caller, to: "whatsapp:" + WhatsAppSender));
            Assert.Equal(HttpStatusCode.OK, hello.StatusCode);
        }

        await using var after = await BootAsync();
        var session = after.Calls.StartCall(NewCallSid(), Caller, SmsSender);
        var result = await InvokeAsync(after, session, "send_directions", []);

        Assert.Contains("\"status\":\"sent\"", result, StringComparison.Ordinal);
        var sent = Assert.Single(after.Loopback.SentMessages, m => m.Message.CallId == session.CallId).Message;
        Assert.Equal("Acme is at 1 Main Street, next to the station.", sent.Body);
        Assert.Null(sent.Content);
    }

    [Fact]
    public async Task A_reply_after_a_restart_to_a_call_that_ended_before_it_reaches_the_after_call_handler_with_the_calls_context()
    {
        var callSid = NewCallSid();
        string sentId;
        await using (var before = await BootAsync())
        {
            var session = before.Calls.StartCall(callSid, Caller, SmsSender);
            await InvokeAsync(before, session, "send_summary", new() { ["message"] = "Your order ships Monday." });
            sentId = Assert.Single(session.Messages).MessageId;
            before.Calls.EndCall(callSid);
        }

        await using var after = await BootAsync();
        using var reply = await after.PostSignedAsync("/twilio/messages", InboundSms("Can it come Tuesday instead?"));

        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var (ended, message) = Assert.Single(_afterCall);
        Assert.Equal(callSid, ended.CallId);
        Assert.Equal(sentId, message.InReplyToMessageId);
        Assert.Equal("send_summary", ended.Messages.Single(m => m.Direction == MessageDirection.Outbound).ActionName);
    }

    [Fact]
    public async Task An_after_call_text_scheduled_in_a_call_the_host_stopped_during_is_sent_once_after_the_restart()
    {
        var callSid = NewCallSid();
        await using (var before = await BootAsync())
        {
            // A visit was booked on the call; the model scheduled its confirmation; then the host stopped mid-call.
            var session = before.Calls.StartCall(callSid, Caller, SmsSender);
            session.SetVariable("visit_window", "Tuesday 1 December, 10am-12pm");
            session.SetVariable("booking_reference", "AC-123456");
            var result = await InvokeAsync(before, session, "send_booking_confirmation", []);
            Assert.Contains("\"status\":\"scheduled\"", result, StringComparison.Ordinal);
        }

        await using (var after = await BootAsync())
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var sent = await after.Loopback.WaitForMessageAsync(m => m.Message.CallId == callSid, patience.Token);

            Assert.Equal("Acme: your technician visit is booked for Tuesday 1 December, 10am-12pm. Booking reference AC-123456. Reply to this text if you need to change it.",
                sent.Message.Body);
            Assert.Equal(Caller, sent.Message.To);
            Assert.Equal(0, await after.App.Services.GetRequiredService<InCallMessagingRuntime>().SendScheduledTextsAsync());
        }

        // A third start finds nothing left to send.
        await using var third = await BootAsync();
        Assert.Equal(0, await third.App.Services.GetRequiredService<InCallMessagingRuntime>().SendScheduledTextsAsync());
        Assert.DoesNotContain(third.Loopback.SentMessages, m => m.Message.CallId == callSid);
        Assert.Equal("queued", (await Log(third).GetCallAsync(callSid)).Single().Status);
    }

    [Fact]
    public async Task A_status_callback_after_a_restart_updates_the_logged_message()
    {
        string sentId;
        await using (var before = await BootAsync())
        {
            var session = before.Calls.StartCall(NewCallSid(), Caller, SmsSender);
            await InvokeAsync(before, session, "send_summary", new() { ["message"] = "Your order ships Monday." });
            sentId = Assert.Single(session.Messages).MessageId;
        }

        await using var after = await BootAsync();
        using var status = await after.PostSignedAsync("/twilio/status",
            [new("MessageSid", sentId), new("MessageStatus", "undelivered"), new("ErrorCode", "30003"), new("AccountSid", DevelopmentCredentials.AccountSid)]);

        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var logged = await Log(after).FindAsync(sentId);
        Assert.Equal("undelivered", logged?.Status);
        Assert.Equal("30003", logged?.ErrorCode);
    }

    [Fact]
    public async Task With_the_database_deleted_underneath_a_webhook_gets_503_not_200_and_its_retry_is_recorded()
    {
        await using var host = await BootAsync();
        using (var first = await host.PostSignedAsync("/twilio/messages", InboundSms("hello")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }

        var reply = InboundSms("are you there?");
        using (var refused = await host.PostSignedAsync("/twilio/messages", reply))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        // Twilio retries; the store starts a new file at the same path, and the retry is recorded there.
        using var retried = await host.PostSignedAsync("/twilio/messages", reply);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.NotNull(await Log(host).FindAsync(reply.Single(p => p.Key == "MessageSid").Value));
    }

    private sealed class RecordingAfterCall(ConcurrentQueue<(CallSession, InboundMessage)> seen) : IAfterCallReplyHandler
    {
        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            seen.Enqueue((session, reply));
            return Task.CompletedTask;
        }
    }
}
