using System.Xml.Linq;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Options;
using VoiceBotHost.ConversationRelay;
using VoiceBotHost.Llm;

namespace VoiceBotHost.Simulator;

/// <summary>
/// The call simulator's server side (offline mode only). The page itself speaks the real protocols: ConversationRelay
/// on <c>/voice/relay</c>. What a browser must not do, sign Twilio requests, happens here: placing the call through
/// <c>/voice/incoming</c> and texting back through <c>/twilio/messages</c>, both signed and sent over real HTTP.
/// </summary>
public static class SimulatorEndpoints
{
    public sealed record CallRequest(string From);

    public sealed record ReplyRequest(string Channel, string From, string To, string Body);

    public static IEndpointRouteBuilder MapCallSimulator(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/simulator").ExcludeFromDescription();
        group.MapGet("/config", Config);
        group.MapGet("/events", (HttpContext context, SimulatorEventStream events, IHostApplicationLifetime lifetime) =>
            events.StreamAsync(context, lifetime.ApplicationStopping));
        group.MapPost("/call", PlaceCallAsync);

        // The browser plays Twilio's part but cannot sign a WebSocket upgrade, so it gets this unsigned twin of
        // /voice/relay, mapped only while the host runs offline on the development token.
        group.Map("/relay", VoiceEndpoints.RelayAsync);
        group.MapPost("/reply", ReplyAsync);
        return endpoints;
    }

    private static IResult Config(LlmSettings llm, IOptions<InCallMessagingOptions> messaging, VoiceBotSettings settings) =>
        Results.Json(new
        {
            llm = llm.Describe(),
            demoModel = llm.UseDemoModel,
            agentNumber = AgentNumber(messaging.Value),
            welcomeGreeting = settings.WelcomeGreeting,
            senders = messaging.Value.Senders.Select(s => new { name = s.Key, from = s.Value.From, provider = s.Value.Provider }),
        });

    /// <summary>Rings the host as Twilio would: a signed voice webhook; the page connects to the TwiML's relay URL.</summary>
    private static async Task<IResult> PlaceCallAsync(CallRequest request, SignedWebhookClient twilio, IOptions<InCallMessagingOptions> messaging,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.From))
        {
            return Results.BadRequest(new { error = "'from' (the caller's number) is required." });
        }

        var callSid = SignedWebhookClient.NewSid("CA");
        var agentNumber = AgentNumber(messaging.Value);
        using var response = await twilio.PostAsync(VoiceEndpoints.IncomingPath,
        [
            new("AccountSid", twilio.AccountSid),
            new("ApiVersion", "2010-04-01"),
            new("CallSid", callSid),
            new("CallStatus", "ringing"),
            new("Called", agentNumber),
            new("Caller", request.From),
            new("Direction", "inbound"),
            new("From", request.From),
            new("To", agentNumber),
        ], cancellationToken);
        var twiml = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return Results.Json(new { error = $"/voice/incoming answered {(int)response.StatusCode}", detail = twiml }, statusCode: StatusCodes.Status502BadGateway);
        }

        // Hand the page what Twilio would take from the TwiML: where to connect and what to send in setup.
        var relay = XDocument.Parse(twiml).Descendants("ConversationRelay").Single();
        return Results.Json(new
        {
            callSid,
            accountSid = twilio.AccountSid,
            to = agentNumber,
            twiml,
            url = (string?)relay.Attribute("url"),
            welcomeGreeting = (string?)relay.Attribute("welcomeGreeting"),
            customParameters = relay.Elements("Parameter").ToDictionary(p => (string)p.Attribute("name")!, p => (string)p.Attribute("value")!),
        });
    }

    /// <summary>The caller texts back: an inbound-message webhook, signed, to this host's /twilio/messages.</summary>
    private static async Task<IResult> ReplyAsync(ReplyRequest request, SignedWebhookClient twilio, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Body) || request.Body.Length > 1600 || string.IsNullOrWhiteSpace(request.From) || string.IsNullOrWhiteSpace(request.To))
        {
            return Results.BadRequest(new { error = "'from', 'to' and 'body' (at most 1,600 characters) are required." });
        }

        var whatsApp = string.Equals(request.Channel, "whatsapp", StringComparison.OrdinalIgnoreCase);
        var prefix = whatsApp ? "whatsapp:" : "";
        var messageSid = SignedWebhookClient.NewSid("SM");
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", twilio.AccountSid),
            new("ApiVersion", "2010-04-01"),
            new("Body", request.Body),
            new("From", prefix + request.From),
            new("MessageSid", messageSid),
            new("NumMedia", "0"),
            new("NumSegments", "1"),
            new("SmsMessageSid", messageSid),
            new("SmsSid", messageSid),
            new("SmsStatus", "received"),
            new("To", prefix + request.To),
        };
        if (whatsApp)
        {
            form.Add(new("ProfileName", "Call simulator"));
            form.Add(new("WaId", request.From.TrimStart('+')));
        }

        using var response = await twilio.PostAsync("/twilio/messages", form, cancellationToken);
        return Results.Json(new { messageSid, webhookStatus = (int)response.StatusCode, signedUrl = twilio.SignedUrl("/twilio/messages") });
    }

    private static string AgentNumber(InCallMessagingOptions messaging) =>
        messaging.Senders.Values.Select(s => s.From).FirstOrDefault(f => !string.IsNullOrEmpty(f)) ?? "+14155550199";
}
