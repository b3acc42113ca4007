using System.Net;
using System.Net.Sockets;
using VoiceBotHost.Agent;
using VoiceBotHost.Demo;
using VoiceBotHost.Tests.TestSupport;

namespace VoiceBotHost.Tests.Logging;

/// <summary>
/// The console of the sample as a user runs it (its own process): what is normal in a call (a hang-up during a wait),
/// a model that times out and a configuration mistake are each one line, with no stack trace.
/// </summary>
public sealed class CalmLogTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_hang_up_while_an_action_waits_for_a_text_logs_no_error_and_no_stack_trace()
    {
        await using var sample = SampleProcess.Start();
        var url = await sample.WaitForSimulatorUrlAsync();
        await using var relay = await RelayClient.ConnectAsync(SimulatorRelay(url), CancellationToken.None);
        await relay.SendSetupAsync(VoiceBotTestHost.NewCallSid(), VoiceBotTestHost.Caller, VoiceBotTestHost.SmsSender);
        await relay.SendPromptAsync("Can you text me a verification code?");
        Assert.StartsWith("I'm texting you", await relay.ReceiveUtteranceAsync(Patience), StringComparison.Ordinal);
        await sample.WaitForLineAsync(l => l.Contains("Action send_otp on call", StringComparison.Ordinal) && l.Contains(": sent ", StringComparison.Ordinal), "the send_otp line");

        await relay.CloseAsync();

        await sample.WaitForLineAsync(l => l.Contains("Call ended after", StringComparison.Ordinal), "the call's end");
        await sample.StopAsync();
        var lines = sample.Stdout;
        Assert.Contains(lines, l => l.Contains(" info InCallMessageFunction ", StringComparison.Ordinal) && l.Contains("wait ended", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" warn ", StringComparison.Ordinal));
        AssertNoStackTrace(sample);
    }

    [Fact]
    public async Task A_model_that_does_not_answer_in_time_is_one_warning_line_and_the_caller_hears_an_apology()
    {
        using var silentModel = new TcpListener(IPAddress.Loopback, 0);
        silentModel.Start();
        var held = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                var connection = await silentModel.AcceptTcpClientAsync();
                lock (held)
                {
                    held.Add(connection);   // accepted, read by nobody, never answered
                }
            }
        });
        var port = ((IPEndPoint)silentModel.LocalEndpoint).Port;
        await using var sample = SampleProcess.Start([$"--Llm:BaseUrl=http://127.0.0.1:{port}/v1", "--Llm:ApiKey=test", "--Llm:Model=test", "--Llm:Timeout=00:00:02"]);
        var url = await sample.WaitForSimulatorUrlAsync();
        await using var relay = await RelayClient.ConnectAsync(SimulatorRelay(url), CancellationToken.None);
        await relay.SendSetupAsync(VoiceBotTestHost.NewCallSid(), VoiceBotTestHost.Caller, VoiceBotTestHost.SmsSender);

        await relay.SendPromptAsync("Hello?");

        Assert.Equal(VoiceAgent.Apology, await relay.ReceiveUtteranceAsync(TimeSpan.FromSeconds(90)));
        var line = await sample.WaitForLineAsync(l => l.Contains("did not answer within Llm:Timeout", StringComparison.Ordinal), "the timeout line");
        Assert.Matches(@"^\d\d:\d\d:\d\d warn VoiceAgent \[CA[0-9a-f]{32}\] The model did not answer", line);
        await sample.StopAsync();
        Assert.Single(sample.Stdout, l => l.Contains("did not answer", StringComparison.Ordinal));
        Assert.DoesNotContain(sample.Stdout, l => l.Contains(" fail ", StringComparison.Ordinal));
        AssertNoStackTrace(sample);
        lock (held)
        {
            held.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_configuration_error_at_start_up_lists_every_problem_without_a_stack_trace_and_exits_non_zero()
    {
        await using var sample = SampleProcess.Start(["--InCallMessaging:Senders:sms:From=+15551234567", "--InCallMessaging:Senders:whatsapp:From=12345"]);

        var exitCode = await sample.WaitForExitAsync();

        Assert.True(exitCode != 0, sample.Output);
        Assert.Equal(
        [
            "VoiceBotHost cannot start: the configuration has 2 problems:",
            "  - Sender 'sms': From '+15551234567' is not a valid number: it has the E.164 form, but no such number exists in its country's numbering plan. Use the number your provider gave you, such as +14155550100.",
            "  - Sender 'whatsapp': From '12345' must be a phone number in E.164 form such as +14155550100.",
            "Fix them in samples/VoiceBotHost/appsettings.json, user secrets or environment variables (see samples/VoiceBotHost/README.md).",
        ], sample.Stderr);
        Assert.DoesNotContain(sample.Stdout, l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        AssertNoStackTrace(sample);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_address_and_the_fix()
    {
        await using var first = SampleProcess.Start();
        var url = await first.WaitForSimulatorUrlAsync();
        await using var second = SampleProcess.Start([$"--urls={url.GetLeftPart(UriPartial.Authority)}"]);

        var exitCode = await second.WaitForExitAsync();

        Assert.True(exitCode != 0, second.Output);
        var line = Assert.Single(second.Stderr);
        Assert.StartsWith($"VoiceBotHost cannot start: Failed to bind to address {url.GetLeftPart(UriPartial.Authority)}", line, StringComparison.Ordinal);
        Assert.Contains("--urls http://127.0.0.1:5081", line, StringComparison.Ordinal);
        AssertNoStackTrace(second);
    }

    [Fact]
    public async Task Console_lines_carry_only_the_call_id_until_scopes_are_asked_for()
    {
        var shortLines = await OneCallSetupAsync();
        var withScopes = await OneCallSetupAsync("--Logging:Console:FormatterOptions:IncludeScopes=true");

        var started = Assert.Single(shortLines, l => l.Contains("Call started from", StringComparison.Ordinal));
        Assert.Matches(@"^\d\d:\d\d:\d\d info RelaySession \[CA[0-9a-f]{32}\] Call started from \+1\*+0123 ", started);
        Assert.DoesNotContain(shortLines, l => l.Contains("ConnectionId", StringComparison.Ordinal) || l.Contains("RequestId", StringComparison.Ordinal));
        var scoped = Assert.Single(withScopes, l => l.Contains("Call started from", StringComparison.Ordinal));
        Assert.Contains("ConnectionId:", scoped, StringComparison.Ordinal);
        Assert.Contains("RequestPath:/simulator/relay", scoped, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> OneCallSetupAsync(params string[] args)
    {
        await using var sample = SampleProcess.Start(args);
        var url = await sample.WaitForSimulatorUrlAsync();
        await using (var relay = await RelayClient.ConnectAsync(SimulatorRelay(url), CancellationToken.None))
        {
            await relay.SendSetupAsync(VoiceBotTestHost.NewCallSid(), VoiceBotTestHost.Caller, VoiceBotTestHost.SmsSender);
            await sample.WaitForLineAsync(l => l.Contains("Call started from", StringComparison.Ordinal), "the call's start");
        }

        await sample.StopAsync();
        return sample.Stdout;
    }

    /// <summary>The browser's twin of /voice/relay (unsigned; the sample serves it offline only).</summary>
    private static Uri SimulatorRelay(Uri simulator) => new($"ws://{simulator.Authority}/simulator/relay");

    private static void AssertNoStackTrace(SampleProcess sample)
    {
        var traces = sample.Stdout.Concat(sample.Stderr).Where(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal)).ToList();
        Assert.True(traces.Count == 0, sample.Output);
    }
}
