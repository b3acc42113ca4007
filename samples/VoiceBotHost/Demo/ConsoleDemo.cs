using System.Text.RegularExpressions;
using System.Xml.Linq;
using InCallMessaging.SemanticKernel;
using VoiceBotHost.Agent;
using VoiceBotHost.ConversationRelay;
using VoiceBotHost.Simulator;

namespace VoiceBotHost.Demo;

/// <summary>
/// <c>dotnet run -- demo</c>: one scripted call, end to end, with no credentials. The host starts on a free loopback
/// port; this code plays Twilio (signed voice webhook, a ConversationRelay WebSocket client, a signed inbound-message
/// webhook) and the caller; the agent is SK with the offline demo model. The caller books a technician visit, and after
/// the hang-up the model's look back over the call texts the booking confirmation. Prints the transcript; returns 0 on
/// success.
/// </summary>
public static partial class ConsoleDemo
{
    private const string Caller = "+14155550123";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(TextWriter output, Action<WebApplicationBuilder>? configure = null)
    {
        output.WriteLine("VoiceBotHost demo: one phone call, end to end, offline.");
        output.WriteLine("  LLM: offline demo model (rule-based stand-in, no API key needed) | texts: loopback provider");
        output.WriteLine("  'model |' lines show what the model sees: each tool call, its JSON result, each line entering the chat history");
        output.WriteLine();

        await using var app = VoiceBotApp.Build(["--environment=Development"], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(OfflineOverrides(builder.Configuration));
            configure?.Invoke(builder);
        });

        try
        {
            await app.StartAsync();
            await RunCallAsync(app, output);
            output.WriteLine();
            output.WriteLine("Demo passed: the server made the code, the SMS went out, the agent answered the caller while it waited, the texted code came back through the signed webhook and was checked by the server, and after the call the booking confirmation was texted.");
            return 0;
        }
        catch (Exception ex)
        {
            output.WriteLine();
            output.WriteLine($"Demo FAILED: {ex.Message}");
            return 1;
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task RunCallAsync(WebApplication app, TextWriter output)
    {
        var twilio = app.Services.GetRequiredService<SignedWebhookClient>();
        var loopback = app.Services.GetRequiredService<LoopbackMessageProvider>();
        var calls = app.Services.GetRequiredService<ICallSessionRegistry>();
        var self = app.Services.GetRequiredService<SelfAddress>();
        var agentNumber = app.Services.GetRequiredService<InCallMessagingRuntime>().Options.Senders["sms"].From!;
        var callSid = SignedWebhookClient.NewSid("CA");

        // What the model sees, as it happens: tool calls, their JSON results, and reply lines entering the history.
        var trace = app.Services.GetRequiredService<AgentTrace>();
        var modelLines = new ModelLines(output);
        void OnTraced(object? sender, TraceEntry entry)
        {
            if (entry.CallId == callSid && entry.Kind != TraceKind.AgentSpeaking)
            {
                modelLines.Add(ModelLine(entry));
            }
        }

        trace.Traced += OnTraced;
        try
        {
            await RunScriptAsync(output, modelLines, twilio, loopback, calls, self, agentNumber, callSid);

            // The after-call run ends with the model's last answer: let it finish before the host stops.
            await app.Services.GetRequiredService<AfterCallRuns>().WhenIdleAsync().WaitAsync(Patience);
        }
        finally
        {
            trace.Traced -= OnTraced;
            modelLines.Release();
        }
    }

    private static async Task RunScriptAsync(TextWriter output, ModelLines modelLines, SignedWebhookClient twilio,
        LoopbackMessageProvider loopback, ICallSessionRegistry calls, SelfAddress self, string agentNumber, string callSid)
    {
        // 1. Twilio rings the host: the signed voice webhook answers with <Connect><ConversationRelay>.
        using var incoming = await twilio.PostAsync(VoiceEndpoints.IncomingPath,
        [
            new("AccountSid", twilio.AccountSid), new("CallSid", callSid), new("CallStatus", "ringing"),
            new("Direction", "inbound"), new("From", Caller), new("To", agentNumber),
        ], CancellationToken.None);
        incoming.EnsureSuccessStatusCode();
        var relay = XDocument.Parse(await incoming.Content.ReadAsStringAsync()).Descendants("ConversationRelay").Single();
        Step(output, $"Twilio: POST {VoiceEndpoints.IncomingPath} (signed) -> 200, TwiML <Connect><ConversationRelay url=\"{relay.Attribute("url")?.Value}\">");

        // 2. Twilio opens the ConversationRelay socket and sends setup with the TwiML's <Parameter>s.
        await using var client = await RelayClient.ConnectAsync(new Uri(self.BaseUri.AbsoluteUri.Replace("http", "ws", StringComparison.Ordinal) + VoiceEndpoints.RelayPath.TrimStart('/')), CancellationToken.None);
        var parameters = relay.Elements("Parameter").ToDictionary(p => (string)p.Attribute("name")!, p => (string)p.Attribute("value")!);
        await client.SendSetupAsync(callSid, Caller, agentNumber, parameters);
        Say(output, "Agent", relay.Attribute("welcomeGreeting")?.Value ?? "");

        // 3. The caller asks for a code; the server makes one, the agent texts it and waits for it to come back.
        await CallerSaysAsync(client, output, "Hi, I need to verify my account. Can you text me a code?");
        Say(output, "Agent", await client.ReceiveUtteranceAsync(Patience));
        var sms = await loopback.WaitForMessageAsync(m => m.Message.CallId == callSid).WaitAsync(Patience);
        Step(output, $"SMS to {sms.Message.To}: \"{sms.Message.Body}\"");
        var code = SixDigits().Match(sms.Message.Body ?? "").Value;
        if (code.Length == 0)
        {
            throw new InvalidOperationException("The SMS carried no six-digit code.");
        }

        // 4. The caller says something that is not the code: the agent answers, and the wait goes on.
        if (!await WaitUntilAsync(() => calls.Find(callSid)?.IsWaitingForReply == true, Patience))
        {
            throw new InvalidOperationException("send_otp did not start waiting for the code.");
        }

        await CallerSaysAsync(client, output, "Hold on, let me find my phone.");
        Say(output, "Agent", await client.ReceiveUtteranceAsync(Patience));

        // 5. The caller texts the code back: Twilio's inbound-message webhook, signed, over HTTP. The server checks it.
        Step(output, $"Caller texts back \"{code}\": POST /twilio/messages with X-Twilio-Signature");
        using var reply = await twilio.PostAsync("/twilio/messages",
        [
            new("AccountSid", twilio.AccountSid), new("Body", code), new("From", Caller), new("MessageSid", SignedWebhookClient.NewSid("SM")),
            new("NumMedia", "0"), new("SmsStatus", "received"), new("To", sms.Message.Sender.From!),
        ], CancellationToken.None);
        Step(output, $"POST /twilio/messages -> {(int)reply.StatusCode}");
        reply.EnsureSuccessStatusCode();

        var confirmation = await client.ReceiveUtteranceAsync(Patience);
        Say(output, "Agent", confirmation);
        if (!confirmation.Contains("verified", StringComparison.OrdinalIgnoreCase) || confirmation.Contains(code, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The agent did not confirm the code (without reading it out): \"{confirmation}\".");
        }

        // 6. A technician visit: booked on the server; its confirmation is an after-call text, not sent during the call.
        await CallerSaysAsync(client, output, "Also, my internet keeps dropping. Can you book a technician visit?");
        var booked = await client.ReceiveUtteranceAsync(Patience);
        Say(output, "Agent", booked);
        if (!booked.Contains("booked", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The agent did not book the visit: \"{booked}\".");
        }

        // 7. A summary by text: an agent-composed SMS (the action has no body template).
        await CallerSaysAsync(client, output, "Great, thanks. Can you text me a summary of this call?");
        Say(output, "Agent", await client.ReceiveUtteranceAsync(Patience));
        var summary = await loopback.WaitForMessageAsync(m => m.Message.CallId == callSid && m.Message.ActionName == "send_summary").WaitAsync(Patience);
        Step(output, $"SMS to {summary.Message.To}: \"{summary.Message.Body}\"");
        Say(output, "Agent", await client.ReceiveUtteranceAsync(Patience));

        // 8. The caller hangs up: Twilio closes the socket and the host ends the call session.
        if (loopback.SentMessages.Any(m => m.Message.CallId == callSid && m.Message.ActionName == "send_booking_confirmation"))
        {
            throw new InvalidOperationException("The booking confirmation went out during the call; it is an after-call text.");
        }

        // The after-call run starts as the host ends the session, maybe before this script sees it end: its model lines
        // wait until the lines that lead to it are printed.
        modelLines.Hold();
        await client.CloseAsync();
        var ended = await WaitUntilAsync(() => calls.Find(callSid) is { IsActive: false }, Patience);
        Step(output, ended ? "Caller hung up; the call session ended." : "Caller hung up, but the call session is still live.");
        if (!ended)
        {
            throw new InvalidOperationException("Closing the socket did not end the call session.");
        }

        // 9. After the call: the model looks back over the transcript with only the after-call actions on offer, and
        // texts the booking confirmation, since a visit was booked.
        Step(output, "After the call: the model reads the transcript again, with only the after-call actions on offer");
        modelLines.Release();
        var bookingText = await loopback.WaitForMessageAsync(m => m.Message.CallId == callSid && m.Message.ActionName == "send_booking_confirmation").WaitAsync(Patience);
        Step(output, $"SMS to {bookingText.Message.To} after the call: \"{bookingText.Message.Body}\"");
    }

    private static async Task CallerSaysAsync(RelayClient client, TextWriter output, string words)
    {
        Say(output, "Caller", words);
        await client.SendPromptAsync(words);
    }

    private static void Say(TextWriter output, string who, string words) => Write(output, $"{who,-7}: {words}");

    private static void Step(TextWriter output, string what) => Write(output, $"         [{what}]");

    /// <summary>One line of what the model sees, set apart from the conversation.</summary>
    private static string ModelLine(TraceEntry entry) => entry.Kind switch
    {
        TraceKind.ToolCall => $"         model | tool call    {entry.Text}",
        TraceKind.ToolResult => $"         model | tool result  {entry.Text}",
        TraceKind.HistoryLine => $"         model | history +    {entry.Text}",
        _ => $"         wait  | {entry.Text}",
    };

    /// <summary>
    /// The call's model lines (from the host's trace), printed as they come, or held back in order while the script prints
    /// what leads to them. Shares <see cref="Write"/>'s lock, so lines never interleave.
    /// </summary>
    private sealed class ModelLines(TextWriter output)
    {
        private List<string>? _held;

        public void Add(string line)
        {
            lock (output)
            {
                if (_held is null)
                {
                    output.WriteLine(line);
                }
                else
                {
                    _held.Add(line);
                }
            }
        }

        public void Hold()
        {
            lock (output)
            {
                _held ??= [];
            }
        }

        public void Release()
        {
            lock (output)
            {
                foreach (var line in _held ?? [])
                {
                    output.WriteLine(line);
                }

                _held = null;
            }
        }
    }

    /// <summary>Lines come from the script and from the host's trace at once: one at a time.</summary>
    private static void Write(TextWriter output, string line)
    {
        lock (output)
        {
            output.WriteLine(line);
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>The demo is always offline and deterministic, whatever is configured on this machine.</summary>
    private static Dictionary<string, string?> OfflineOverrides(IConfiguration configuration)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Llm:UseDemoModel"] = "true",
            ["PublicBaseUrl"] = "",
            ["InCallMessaging:Twilio:AccountSid"] = DevelopmentCredentials.AccountSid,
            ["InCallMessaging:Twilio:AuthToken"] = DevelopmentCredentials.AuthToken,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:VoiceBotHost"] = "Error",
        };
        foreach (var sender in configuration.GetSection("InCallMessaging:Senders").GetChildren())
        {
            overrides[$"{sender.Path}:Provider"] = LoopbackMessageProvider.ProviderName;
        }

        return overrides;
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
