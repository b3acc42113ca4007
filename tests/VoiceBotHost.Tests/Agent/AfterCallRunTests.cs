using System.Net.Http;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VoiceBotHost.Agent;
using VoiceBotHost.Demo;
using VoiceBotHost.Tests.TestSupport;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.Agent;

/// <summary>
/// When a call ends, the host asks the model once more over the transcript with only the after-call actions on offer:
/// the booking confirmation goes out after a call in which a visit was booked, and after no other. The host, the
/// offline demo model, the ConversationRelay socket and the simulator's event stream are all real.
/// </summary>
public sealed class AfterCallRunTests
{
    private const string Confirmation = "send_booking_confirmation";
    private const string OutcomePrefix = "After the call: ";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task A_call_in_which_a_visit_is_booked_gets_exactly_one_confirmation_text_after_the_hang_up()
    {
        var log = new CapturedLog();
        await using var host = await StartWithLogAsync(log);
        using var phone = await SimulatorEvents.OpenAsync(host.BaseUri);
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);

        await relay.SendPromptAsync("My internet keeps dropping. Can you book a technician visit?");

        var said = await relay.ReceiveUtteranceAsync(Patience);
        var call = host.Calls.Find(callSid)!;
        var reference = call.GetVariable(BookingPlugin.ReferenceVariable);
        var window = call.GetVariable(BookingPlugin.WindowVariable);
        Assert.Matches("^AC-[0-9]{6}$", reference);
        Assert.Contains(reference!, said, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Loopback.SentMessages, m => m.Message.ActionName == Confirmation);

        await relay.CloseAsync();

        var outcome = await WaitForOutcomeAsync(log);
        Assert.Equal("After the call: send_booking_confirmation sent.", outcome.Message);
        Assert.Equal(LogLevel.Information, outcome.Level);
        var text = Assert.Single(host.Loopback.SentMessages, m => m.Message.ActionName == Confirmation);
        Assert.Equal(callSid, text.Message.CallId);
        Assert.Equal(Caller, text.Message.To);
        Assert.Equal($"Acme: your technician visit is booked for {window}. Booking reference {reference}. Reply to this text if you need to change it.",
            text.Message.Body);

        // In the message log, once.
        var logged = await host.App.Services.GetRequiredService<InCallMessagingRuntime>().MessageLog.GetCallAsync(callSid);
        var entry = Assert.Single(logged, m => m.ActionName == Confirmation);
        Assert.Equal(MessageDirection.Outbound, entry.Direction);
        Assert.Equal(text.MessageId, entry.MessageId);

        // On the simulator's phone, once, marked as sent after the call.
        var shown = await phone.WaitForAsync(e => e.Name == "message" && (string?)e.Data["action"] == Confirmation, Patience);
        Assert.Equal(text.Message.Body, (string?)shown.Data["body"]);
        Assert.Equal(Caller, (string?)shown.Data["to"]);
        Assert.True((bool)shown.Data["afterCall"]!);
        Assert.Single(phone.Received, e => e.Name == "message" && (string?)e.Data["action"] == Confirmation);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task A_call_without_a_booking_gets_no_after_call_text()
    {
        var log = new CapturedLog();
        await using var host = await StartWithLogAsync(log);
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);
        await relay.SendPromptAsync("Please text me a summary of this call.");
        Assert.Equal("I'm texting you a summary now.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.StartsWith("Done, the summary", await relay.ReceiveUtteranceAsync(Patience), StringComparison.Ordinal);

        await relay.CloseAsync();

        var outcome = await WaitForOutcomeAsync(log);
        Assert.Equal("After the call: no after-call action applied; nothing was sent.", outcome.Message);
        var sent = Assert.Single(host.Loopback.SentMessages);
        Assert.Equal("send_summary", sent.Message.ActionName);
        var logged = await host.App.Services.GetRequiredService<InCallMessagingRuntime>().MessageLog.GetCallAsync(callSid);
        Assert.Contains(logged, m => m.ActionName == "send_summary");
        Assert.DoesNotContain(logged, m => m.ActionName == Confirmation);
    }

    [Fact]
    public async Task Stopping_the_host_while_an_after_call_run_waits_for_the_model_stops_the_run_and_exits_cleanly()
    {
        await using var llm = await ScriptedOpenAIServer.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The after-call request: the model takes its time, so the host stops in the middle of the run.
        ScriptBookingThenSlowAfterCall(llm, release.Task);
        try
        {
            await using var sample = SampleProcess.Start([$"--Llm:BaseUrl={llm.Endpoint.AbsoluteUri}", "--Llm:ApiKey=test", "--Llm:Model=test"]);
            var url = await sample.WaitForSimulatorUrlAsync();
            await using var relay = await RelayClient.ConnectAsync(new Uri($"ws://{url.Authority}/simulator/relay"), CancellationToken.None);
            await relay.SendSetupAsync(NewCallSid(), Caller, SmsSender);
            await relay.SendPromptAsync("Can you book a technician visit?");
            Assert.Equal("You're booked for tomorrow morning.", await relay.ReceiveUtteranceAsync(Patience));

            await relay.CloseAsync();
            Assert.True(await EventuallyAsync(() => llm.Requests.Count == 3, seconds: 60), sample.Output);
            var offered = ScriptedOpenAIServer.ToolsOf(llm.Requests[2])!.Select(t => (string?)t!["function"]!["name"]).ToList();
            Assert.Equal(["messaging-" + Confirmation], offered);

            await sample.StopAsync();

            Assert.Equal(0, await sample.WaitForExitAsync());
            Assert.Single(sample.Stdout, l => l.Contains("After the call: the host is stopping; the after-call run was stopped.", StringComparison.Ordinal));
            Assert.DoesNotContain(sample.Stdout, l => l.Contains(Confirmation, StringComparison.Ordinal) && l.Contains("sent", StringComparison.Ordinal));
            Assert.DoesNotContain(sample.Stdout, l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" warn ", StringComparison.Ordinal));
            Assert.DoesNotContain(sample.Stdout.Concat(sample.Stderr), l => l.Contains("   at ", StringComparison.Ordinal));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_run_past_VoiceBot_AfterCallTimeout_is_stopped_and_logged_in_one_warning_line()
    {
        await using var llm = await ScriptedOpenAIServer.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ScriptBookingThenSlowAfterCall(llm, release.Task);
        var log = new CapturedLog();
        try
        {
            await using var host = await StartWithLogAsync(log, llm.Endpoint, ("VoiceBot:AfterCallTimeout", "00:00:01"));
            await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
            await relay.SendSetupAsync(NewCallSid(), Caller, SmsSender);
            await relay.SendPromptAsync("Can you book a technician visit?");
            Assert.Equal("You're booked for tomorrow morning.", await relay.ReceiveUtteranceAsync(Patience));

            await relay.CloseAsync();

            var outcome = await WaitForOutcomeAsync(log);
            Assert.Equal("After the call: the model run did not finish within VoiceBot:AfterCallTimeout (00:00:01); it was stopped.", outcome.Message);
            Assert.Equal(LogLevel.Warning, outcome.Level);
            Assert.Null(outcome.Exception);
            Assert.Equal(3, llm.Requests.Count);
            Assert.DoesNotContain(host.Loopback.SentMessages, m => m.Message.ActionName == Confirmation);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public void A_timeout_of_zero_is_a_start_up_error_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => VoiceBotApp.Build(["--environment=Development", "--VoiceBot:AfterCallTimeout=00:00:00"]));

        Assert.Equal("VoiceBot:AfterCallTimeout is 00:00:00: it must be more than zero, such as 00:01:00.", error.Message);
    }

    /// <summary>The host (on the offline demo model unless <paramref name="llm"/> is given), with the after-call runs' outcome lines captured.</summary>
    /// <summary>
    /// Scripts a call that books a visit and is told so, then an after-call request the model answers (with the
    /// confirmation) only once <paramref name="release"/> completes.
    /// </summary>
    private static void ScriptBookingThenSlowAfterCall(ScriptedOpenAIServer llm, Task release) =>
        llm.Then(ScriptedTurn.Call("appointments-book_technician_visit"))
            .Then(ScriptedTurn.Text("You're booked for tomorrow morning."))
            .Then(_ =>
            {
                release.Wait(TimeSpan.FromMinutes(2));
                return ScriptedTurn.Call("messaging-" + Confirmation);
            });

    private static Task<VoiceBotTestHost> StartWithLogAsync(CapturedLog log, Uri? llm = null, params (string Key, string Value)[] settings)
    {
        var overrides = new Dictionary<string, string?> { [$"Logging:LogLevel:{typeof(AfterCallRuns).FullName}"] = "Information" };
        foreach (var (key, value) in settings)
        {
            overrides[key] = value;
        }

        return StartAsync(llm, overrides, configure: builder => builder.Logging.AddProvider(log));
    }

    private static async Task<CapturedEntry> WaitForOutcomeAsync(CapturedLog log)
    {
        bool IsOutcome(CapturedEntry e) => e.Category == typeof(AfterCallRuns).FullName && e.Message.StartsWith(OutcomePrefix, StringComparison.Ordinal);
        Assert.True(await EventuallyAsync(() => log.Entries.Any(IsOutcome), seconds: 60), "The after-call run logged no outcome.");
        return Assert.Single(log.Entries, IsOutcome);
    }

    /// <summary>One server-sent event of the simulator's phone pane.</summary>
    private sealed record PhoneEvent(string Name, JsonObject Data);

    /// <summary>The simulator page's event stream (<c>/simulator/events</c>), read as the page reads it.</summary>
    private sealed class SimulatorEvents : IDisposable
    {
        private readonly CancellationTokenSource _closing = new();
        private readonly List<PhoneEvent> _received = [];
        private HttpResponseMessage? _response;

        public IReadOnlyList<PhoneEvent> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        /// <summary>Opens the stream and returns once the host has subscribed it (its first comment line).</summary>
        public static async Task<SimulatorEvents> OpenAsync(Uri host)
        {
            var events = new SimulatorEvents();
            events._response = await Http.GetAsync(new Uri(host, "simulator/events"), HttpCompletionOption.ResponseHeadersRead, events._closing.Token);
            var reader = new StreamReader(await events._response.Content.ReadAsStreamAsync(events._closing.Token));
            Assert.Equal(": connected", await reader.ReadLineAsync(events._closing.Token));
            _ = events.ReadAsync(reader);
            return events;
        }

        public async Task<PhoneEvent> WaitForAsync(Func<PhoneEvent, bool> match, TimeSpan timeout)
        {
            Assert.True(await EventuallyAsync(() => Received.Any(match), timeout.TotalSeconds), "The simulator's phone was not told of the text.");
            return Received.First(match);
        }

        private async Task ReadAsync(StreamReader reader)
        {
            string? name = null;
            try
            {
                while (await reader.ReadLineAsync(_closing.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        name = line["event: ".Length..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
                    {
                        lock (_received)
                        {
                            _received.Add(new PhoneEvent(name, JsonNode.Parse(line["data: ".Length..])!.AsObject()));
                        }

                        name = null;
                    }
                }
            }
            catch (Exception) when (_closing.IsCancellationRequested)
            {
            }
            finally
            {
                reader.Dispose();
            }
        }

        public void Dispose()
        {
            _closing.Cancel();
            _response?.Dispose();
            _closing.Dispose();
        }
    }
}
