using InCallMessaging.SemanticKernel;
using VoiceBotHost.Agent;

namespace VoiceBotHost.ConversationRelay;

/// <summary>The voice side: Twilio's incoming-call webhook and the ConversationRelay WebSocket.</summary>
public static class VoiceEndpoints
{
    public const string IncomingPath = "/voice/incoming";
    public const string RelayPath = "/voice/relay";

    public static IEndpointRouteBuilder MapVoiceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Twilio's voice webhook is a signed form POST, checked by the same filter as the messaging webhooks.
        endpoints.MapPost(IncomingPath, IncomingCall).ValidateTwilioSignature().DisableAntiforgery();

        // The WebSocket upgrade carries Twilio's signature over the wss:// URL it was given (the same filter; it knows
        // upgrades). Always: the offline call simulator, whose browser cannot sign, has a socket of its own.
        endpoints.Map(RelayPath, RelayAsync).ValidateTwilioSignature();
        return endpoints;
    }

    private static async Task<IResult> IncomingCall(HttpContext context, VoiceBotSettings settings, ILoggerFactory loggers)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var name in new[] { "From", "To", "CallSid" })
        {
            if (form.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value))
            {
                parameters.Add(new(name, value.ToString()));
            }
        }

        var logger = loggers.CreateLogger(typeof(VoiceEndpoints).FullName!);
        using (CallLogScope.Begin(logger, form["CallSid"].ToString()))
        {
            logger.LogInformation("Incoming call from {Caller}; connecting it to ConversationRelay.", LogMask.Phone(form["From"].ToString()));
        }

        var twiml = ConversationRelayTwiml.Connect(RelayUrl(context.Request, settings.PublicBaseUrl), settings.WelcomeGreeting,
            settings.ConversationRelayAttributes, parameters);
        return Results.Text(twiml, "text/xml");
    }

    /// <summary>wss://{public base}/voice/relay; without a configured base, the address this request came in on.</summary>
    internal static Uri RelayUrl(HttpRequest request, Uri? publicBaseUrl)
    {
        if (publicBaseUrl is not null)
        {
            var builder = new UriBuilder(publicBaseUrl) { Scheme = publicBaseUrl.Scheme == Uri.UriSchemeHttp ? "ws" : "wss", Port = publicBaseUrl.IsDefaultPort ? -1 : publicBaseUrl.Port };
            builder.Path = builder.Path.TrimEnd('/') + RelayPath;
            return builder.Uri;
        }

        return new Uri($"{(request.IsHttps ? "wss" : "ws")}://{request.Host.Value}{request.PathBase}{RelayPath}");
    }

    /// <summary>Serves one ConversationRelay WebSocket: a <see cref="RelaySession"/> until the call ends.</summary>
    internal static async Task RelayAsync(HttpContext context, ICallSessionRegistry calls, AgentKernel agentKernel, VoiceAgent agent,
        SystemPrompt systemPrompt, VoiceBotSettings settings, AgentTrace trace, AfterCallRuns afterCall, IHostApplicationLifetime lifetime,
        ILogger<RelaySession> logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Twilio ConversationRelay connects here over a WebSocket.");
            return;
        }

        using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
        using var socket = new RelaySocket(webSocket);
        var session = new RelaySession(socket, calls, agentKernel, agent, systemPrompt, settings.NudgeOnIdleReply, afterCall, logger, trace);
        await session.RunAsync(lifetime.ApplicationStopping);
    }
}
