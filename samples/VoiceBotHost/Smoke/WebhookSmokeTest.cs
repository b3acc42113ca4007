using System.Net;
using InCallMessaging.Twilio;

namespace VoiceBotHost.Smoke;

/// <summary>
/// <c>dotnet run --project samples/VoiceBotHost -- smoke [public base URL]</c>: checks a running host from the outside,
/// as Twilio will reach it. An unsigned webhook must get 403; the voice webhook and a status callback, signed with the
/// configured Auth Token over the public URL, must get 200. Each failure says where to look. Exit code 0 when all pass.
/// </summary>
public static class WebhookSmokeTest
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        // The same configuration as the host: appsettings, user secrets (Development), environment, command line.
        var configuration = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory }).Configuration;
        var authToken = configuration[$"{TwilioOptions.SectionName}:AuthToken"];
        var target = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? configuration["PublicBaseUrl"];
        if (string.IsNullOrWhiteSpace(target))
        {
            target = VoiceBotApp.DefaultUrl;
        }

        if (string.IsNullOrWhiteSpace(authToken) || !Uri.TryCreate(target.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl))
        {
            await output.WriteLineAsync("smoke: needs InCallMessaging:Twilio:AuthToken (as the host has it) and a base URL such as https://abc123.ngrok.app.");
            return 2;
        }

        await output.WriteLineAsync($"Smoke test of {baseUrl} (signing with the configured Auth Token, as Twilio does)");
        using var http = new HttpClient { Timeout = RequestTimeout };
        var checks = new (string Label, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Expected)[]
        {
            ("POST /twilio/messages, unsigned", () => http.PostAsync(new Uri(baseUrl, "twilio/messages"), new FormUrlEncodedContent(InboundText())), HttpStatusCode.Forbidden),
            ("POST /voice/incoming, signed", () => SendSignedAsync(http, baseUrl, "voice/incoming", IncomingCall(), authToken), HttpStatusCode.OK),
            ("POST /twilio/status, signed", () => SendSignedAsync(http, baseUrl, "twilio/status", StatusCallback(), authToken), HttpStatusCode.OK),
        };

        var failures = 0;
        foreach (var (label, send, expected) in checks)
        {
            try
            {
                using var response = await send();
                var ok = response.StatusCode == expected;
                failures += ok ? 0 : 1;
                await output.WriteLineAsync($"  {label,-34} -> {(int)response.StatusCode} {(ok ? "ok" : $"FAILED, expected {(int)expected}")}");
                if (ok && label.Contains("/voice/incoming", StringComparison.Ordinal))
                {
                    var twiml = await response.Content.ReadAsStringAsync();
                    var relay = System.Text.RegularExpressions.Regex.Match(twiml, "url=\"([^\"]+)\"").Groups[1].Value;
                    await output.WriteLineAsync($"    Twilio will open the ConversationRelay socket at {relay}{(relay.StartsWith("wss://", StringComparison.Ordinal) ? "" : "  <- not wss://: set PublicBaseUrl to your https URL")}");
                }
                else if (!ok)
                {
                    await output.WriteLineAsync($"    {Hint(expected, response.StatusCode)}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                failures++;
                await output.WriteLineAsync($"  {label,-34} -> no answer ({ex.Message})");
                await output.WriteLineAsync("    Is the host running (dotnet run --project samples/VoiceBotHost) and the tunnel up (ngrok http 5080)?");
            }
        }

        await output.WriteLineAsync(failures == 0 ? "All checks passed." : $"{failures} check(s) failed.");
        return failures == 0 ? 0 : 1;
    }

    private static string Hint(HttpStatusCode expected, HttpStatusCode actual) => (expected, actual) switch
    {
        (HttpStatusCode.OK, HttpStatusCode.Forbidden) =>
            "The host refused the signature. It signs over PublicBaseUrl + path with InCallMessaging:Twilio:AuthToken: "
            + "PublicBaseUrl must be exactly the URL given here, and the token the one the host runs with. The host's log says "
            + "'Rejected POST ...: X-Twilio-Signature does not match'.",
        (HttpStatusCode.Forbidden, HttpStatusCode.OK) => "An unsigned request was accepted: this is not the VoiceBotHost webhook (check the URL and port).",
        (_, HttpStatusCode.NotFound) => "Not found: the URL does not reach VoiceBotHost (check the tunnel's port, 5080 by default).",
        (_, HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout) =>
            "The tunnel answered but the host did not: is it running, on the port the tunnel forwards to?",
        _ => "Unexpected status; see the host's console output.",
    };

    private static async Task<HttpResponseMessage> SendSignedAsync(HttpClient http, Uri baseUrl, string path, List<KeyValuePair<string, string>> form, string authToken)
    {
        var url = new Uri(baseUrl, path);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(url.AbsoluteUri, form, authToken));
        return await http.SendAsync(request);
    }

    private static string Sid(string prefix) => prefix + Guid.NewGuid().ToString("N");

    private static List<KeyValuePair<string, string>> InboundText() =>
        [new("MessageSid", Sid("SM")), new("AccountSid", Sid("AC")), new("From", "+14155550100"), new("To", "+14155550199"), new("Body", "smoke test")];

    private static List<KeyValuePair<string, string>> IncomingCall() =>
        [new("CallSid", Sid("CA")), new("AccountSid", Sid("AC")), new("From", "+14155550100"), new("To", "+14155550199"), new("CallStatus", "ringing"), new("Direction", "inbound")];

    private static List<KeyValuePair<string, string>> StatusCallback() =>
        [new("MessageSid", Sid("SM")), new("AccountSid", Sid("AC")), new("MessageStatus", "delivered"), new("From", "+14155550199"), new("To", "+14155550100")];
}
