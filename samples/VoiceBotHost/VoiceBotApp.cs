using InCallMessaging.AspNetCore;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.HttpOverrides;
using VoiceBotHost.Agent;
using VoiceBotHost.ConversationRelay;
using VoiceBotHost.Llm;
using VoiceBotHost.Logging;
using VoiceBotHost.Simulator;

namespace VoiceBotHost;

/// <summary>
/// The host, buildable from tests and the console demo as well as from Program: voice webhook and ConversationRelay
/// socket, the messaging webhooks, the agent (SK + the in-call messaging plugin) and, offline, the call simulator.
/// </summary>
public static class VoiceBotApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments (configuration overrides such as <c>--Llm:Model=...</c>).</param>
    /// <param name="configure">Runs before anything is read from configuration: tests add settings and URLs here.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the app's folder, so appsettings, prompts and wwwroot are found however it is started.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddShortConsole();

        var configuration = builder.Configuration;
        var settings = configuration.GetSection(VoiceBotSettings.SectionName).Get<VoiceBotSettings>() ?? new VoiceBotSettings();
        settings.PublicBaseUrl = ParsePublicBaseUrl(configuration["PublicBaseUrl"]);
        settings.Offline = CheckTwilioMode(configuration, builder.Environment);
        if (settings.AfterCallTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"VoiceBot:AfterCallTimeout is {settings.AfterCallTimeout}: it must be more than zero, such as 00:01:00.");
        }

        var llm = LlmSettings.From(configuration);

        var services = builder.Services;
        services.AddInCallMessaging(configuration.GetSection(InCallMessagingOptions.SectionName));
        // Durable by default: opt-outs, the message log and late-reply matching survive a restart (a deploy).
        // ConnectionStrings__InCallMessaging moves the file; ConnectionStrings__Redis (127.0.0.1:6379) shares the state
        // with other instances of this host instead, and routes each reply to the instance that holds its call.
        var redis = configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            services.AddInCallMessagingRedisStore(redis);
            services.AddInCallMessagingRedisRouting();
        }
        else
        {
            var stateDatabase = configuration.GetConnectionString("InCallMessaging");
            services.AddInCallMessagingSqliteStore(string.IsNullOrWhiteSpace(stateDatabase)
                ? $"Data Source={Path.Combine(builder.Environment.ContentRootPath, "incall.db")}"
                : stateDatabase);
        }
        services.AddInCallMessagingTwilio(configuration.GetSection(TwilioOptions.SectionName));
        services.AddInCallMessagingWebhooks(configuration.GetSection(WebhookOptions.SectionName));
        if (settings.PublicBaseUrl is { } publicBaseUrl)
        {
            // One setting for everything Twilio sees: status callbacks, signature URLs, the relay's wss:// URL.
            services.PostConfigure<TwilioOptions>(options => options.PublicBaseUrl ??= publicBaseUrl);
        }

        services.AddSingleton(settings);
        services.AddSingleton(llm);
        services.AddSingleton<SelfAddress>();
        services.AddSingleton<SystemPrompt>();
        services.AddSingleton<AgentTrace>();
        services.AddSingleton<OneTimeCodes>();
        services.AddSingleton<VerificationPlugin>();
        services.AddSingleton<BookingPlugin>();
        services.AddSingleton<AgentToolFilter>();
        services.AddSingleton<AgentKernel>();
        services.AddSingleton<ReplyAttachments>();
        services.AddSingleton<VoiceAgent>();
        services.AddSingleton<AfterCallRuns>();
        services.AddHostedService(provider => provider.GetRequiredService<AfterCallRuns>());

        if (settings.Offline)
        {
            // Offline machinery plugs in here and only here; nothing above depends on it.
            services.AddOfflineSimulator(configuration);
        }

        var app = builder.Build();

        // A tunnel or proxy on this machine (ngrok, cloudflared) says the call came in over https.
        app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedProto });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });

        app.MapInCallMessagingWebhooks("/twilio");
        app.MapVoiceEndpoints();
        if (llm.UseDemoModel)
        {
            app.MapDemoModel();
        }

        if (settings.Offline)
        {
            app.MapOfflineSimulator();
        }
        else
        {
            app.MapGet("/", () => Results.Text("VoiceBotHost is running with Twilio. Point your number's voice webhook at /voice/incoming and its messaging webhook at /twilio/messages."));
        }

        LogMode(app, settings);
        return app;
    }

    /// <summary>The simulator's address (the first one the server listens on).</summary>
    public static Uri SimulatorUrl(WebApplication app) => app.Services.GetRequiredService<SelfAddress>().BaseUri;

    /// <summary>True when running offline on the development token; refuses combinations that would be unsafe.</summary>
    private static bool CheckTwilioMode(IConfiguration configuration, IWebHostEnvironment environment)
    {
        var token = configuration[$"{TwilioOptions.SectionName}:AuthToken"];
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidOperationException(
                "InCallMessaging:Twilio:AuthToken is not set. For the offline call simulator run in the Development environment "
                + "(dotnet run does; or set ASPNETCORE_ENVIRONMENT=Development). For real calls set InCallMessaging:Twilio:AccountSid "
                + "and AuthToken (user secrets or InCallMessaging__Twilio__AuthToken); see samples/VoiceBotHost/README.md.");
        }

        var offline = DevelopmentCredentials.IsDevelopmentToken(token);
        if (offline && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"The development-only Twilio token is configured in the '{environment.EnvironmentName}' environment. It is public, so "
                + "webhooks signed with it prove nothing: configure your real AuthToken, or run in Development.");
        }

        return offline;
    }

    private static Uri? ParsePublicBaseUrl(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"PublicBaseUrl '{value}' must be an absolute https URL such as https://abc.ngrok.app.");
        }

        return url;
    }

    private static void LogMode(WebApplication app, VoiceBotSettings settings)
    {
        if (settings.Offline)
        {
            return;
        }

        // The start-up banner names the model and the mode; this is the one thing worth a warning.
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VoiceBotHost");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var messaging = app.Services.GetRequiredService<InCallMessagingRuntime>().Options;
            var loopbackSenders = messaging.Senders.Where(s => s.Value.Provider.Equals("Loopback", StringComparison.OrdinalIgnoreCase)).Select(s => s.Key).ToList();
            if (loopbackSenders.Count > 0)
            {
                logger.LogWarning("Twilio is configured, but sender(s) {Senders} still use the Loopback provider: their texts go nowhere. Set InCallMessaging:Senders:<name>:Provider to Twilio.", string.Join(", ", loopbackSenders));
            }
        });
    }
}
