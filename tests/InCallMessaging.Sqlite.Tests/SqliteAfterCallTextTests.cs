using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Sqlite.Tests;

/// <summary>
/// After-call texts survive a restart with the SQLite store: scheduled by a call whose process stopped before the call
/// ended, they are sent once by the next process on the same file.
/// </summary>
public sealed class SqliteAfterCallTextTests : IDisposable
{
    private const string CallId = "CA00000000000000000000000000000172";
    private const string Caller = "+14155550100";
    private const string Agent = "+14155550199";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static void Configure(InCallMessagingOptions options)
    {
        options.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = Agent };
        options.Actions.Add(AfterCallActions.Confirmation());
    }

    private static InCallMessagingRuntime Runtime(SqliteStateStore store)
    {
        var options = new InCallMessagingOptions();
        Configure(options);
        return InCallMessagingRuntime.Create(options, consentStore: store, messageLog: store, deduplicationStore: store);
    }

    /// <summary>A process that schedules the confirmation during a call, then stops before the call ends.</summary>
    private async Task ScheduleAndStopAsync()
    {
        await using var store = _database.CreateStore();
        var runtime = Runtime(store);
        var session = runtime.Calls.StartCall(CallId, Caller, Agent);
        var kernel = new Kernel();
        kernel.Plugins.Add(runtime.Plugin);

        var result = await kernel.WithCallSession(session).InvokeAsync(runtime.Plugin["send_confirmation"], new KernelArguments { ["day"] = "Friday" });

        Assert.Contains("\"status\":\"scheduled\"", result.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(runtime.Loopback!.SentMessages);
        Assert.Equal("scheduled", Assert.Single(await store.GetCallAsync(CallId)).Status);
    }

    [Fact]
    public async Task A_text_scheduled_before_the_process_stopped_is_sent_once_after_the_restart()
    {
        await ScheduleAndStopAsync();

        await using (var store = _database.CreateStore())
        {
            var runtime = Runtime(store);
            Assert.Equal(1, await runtime.SendScheduledTextsAsync());
            Assert.Equal(0, await runtime.SendScheduledTextsAsync());

            var sent = Assert.Single(runtime.Loopback!.SentMessages);
            Assert.Equal(AfterCallActions.ConfirmationText("Friday"), sent.Message.Body);
            Assert.Equal(Caller, sent.Message.To);
            var logged = Assert.Single(await store.GetCallAsync(CallId));
            Assert.Equal((sent.MessageId, "queued"), (logged.MessageId, logged.Status));
        }

        // A third process finds nothing left to send.
        await using (var store = _database.CreateStore())
        {
            var runtime = Runtime(store);
            Assert.Equal(0, await runtime.SendScheduledTextsAsync());
            Assert.Empty(runtime.Loopback!.SentMessages);
        }

        Assert.Equal(0L, _database.Scalar("SELECT count(*) FROM scheduled_messages"));
    }

    [Fact]
    public async Task The_host_sends_them_at_start_up()
    {
        await ScheduleAndStopAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddInCallMessaging(Configure);
        builder.Services.AddInCallMessagingSqliteStore(_database.ConnectionString);
        using var host = builder.Build();

        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<InCallMessagingRuntime>();
        var sent = await runtime.Loopback!.WaitForMessageAsync().WaitAsync(Patience);
        await host.StopAsync();

        Assert.Equal(AfterCallActions.ConfirmationText("Friday"), sent.Message.Body);
        Assert.Single(runtime.Loopback.SentMessages);
        Assert.Equal(0L, _database.Scalar("SELECT count(*) FROM scheduled_messages"));
    }

    [Fact]
    public async Task A_scheduled_message_is_taken_once_and_survives_reopening()
    {
        var message = new ScheduledMessage
        {
            Id = "ref-1", CallId = CallId, ActionName = "send_confirmation", SenderName = "default", SenderIdentity = Agent,
            Channel = MessageChannel.WhatsApp, To = Caller, CallerKey = "key", TemplateId = "HX1",
            TemplateVariables = new Dictionary<string, string> { ["1"] = "Friday" }, MediaUrls = ["https://example.com/a.png"],
            CreatedAt = DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        };
        await using (var store = _database.CreateStore())
        {
            await store.AddAsync(message);
        }

        await using (var store = _database.CreateStore())
        {
            var read = Assert.Single(await store.GetPendingAsync(CallId));
            Assert.Empty(await store.GetPendingAsync("CA-other"));
            Assert.Equal((message.Id, message.Channel, message.TemplateId, "Friday", "https://example.com/a.png", message.CreatedAt),
                (read.Id, read.Channel, read.TemplateId, read.TemplateVariables!["1"], Assert.Single(read.MediaUrls), read.CreatedAt));
            var takes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.TryTakeAsync("ref-1").AsTask()));
            Assert.Equal(1, takes.Count(taken => taken));
            Assert.Empty(await store.GetPendingAsync(null));
        }
    }
}
