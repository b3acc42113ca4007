using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.AspNetCore.Tests.TestSupport;

/// <summary>Settings of one <see cref="WebhookTestHost"/>.</summary>
internal sealed class WebhookTestHostOptions
{
    /// <summary>The Twilio Auth Token; <see langword="null"/> leaves Twilio unconfigured.</summary>
    public string? AuthToken { get; set; } = WebhookTestHost.AuthToken;

    public Uri? PublicBaseUrl { get; set; }

    public string? CustomProviderSecret { get; set; } = WebhookTestHost.CustomSecret;

    public long? MaxBodyBytes { get; set; }

    public TimeSpan? MaxDeliveryWait { get; set; }

    /// <summary>Changes to the plugin's options after the defaults of <see cref="WebhookTestHost.ConfigurePlugin"/>.</summary>
    public Action<InCallMessagingOptions>? Plugin { get; set; }

    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Maps the endpoints; by default <c>app.MapInCallMessagingWebhooks("/twilio")</c>.</summary>
    public Action<WebApplication> Map { get; set; } = app => app.MapInCallMessagingWebhooks("/twilio");
}

/// <summary>
/// A real ASP.NET Core host on <c>http://127.0.0.1:0</c> (Kestrel over loopback) with the plugin on the loopback
/// provider, Twilio configured with a known Auth Token, and the webhooks mapped.
/// </summary>
internal sealed class WebhookTestHost : IAsyncDisposable
{
    public const string AuthToken = "0123456789abcdef0123456789abcdef";
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string CustomSecret = "custom-provider-secret-for-tests";
    public const string SmsSender = "+15005550006";
    public const string WhatsAppSender = "+15005550007";
    public const string Caller = "+14155550100";
    public const string MaskedCaller = "+1******0100";
    public const string TemplateId = "HX0123456789abcdef0123456789abcdef";

    private WebhookTestHost(WebApplication app, CapturingLoggerProvider logs)
    {
        App = app;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => App.Services;

    public ICallSessionRegistry Calls => Services.GetRequiredService<ICallSessionRegistry>();

    public IReplyHub Hub => Services.GetRequiredService<IReplyHub>();

    public LoopbackMessageProvider Loopback => Services.GetRequiredService<LoopbackMessageProvider>();

    public KernelPlugin Plugin => Services.GetRequiredService<KernelPlugin>();

    public static async Task<WebhookTestHost> StartAsync(Action<WebhookTestHostOptions>? configure = null)
    {
        var options = new WebhookTestHostOptions();
        configure?.Invoke(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);

        builder.Services.AddInCallMessaging(plugin =>
        {
            ConfigurePlugin(plugin);
            options.Plugin?.Invoke(plugin);
        });
        if (options.AuthToken is not null)
        {
            builder.Services.AddInCallMessagingTwilio(twilio =>
            {
                twilio.AccountSid = AccountSid;
                twilio.AuthToken = options.AuthToken;
                twilio.PublicBaseUrl = options.PublicBaseUrl;
            });
        }

        builder.Services.AddInCallMessagingWebhooks(webhooks =>
        {
            webhooks.CustomProviderSecret = options.CustomProviderSecret;
            if (options.MaxBodyBytes is { } max)
            {
                webhooks.MaxBodyBytes = max;
            }

            if (options.MaxDeliveryWait is { } wait)
            {
                webhooks.MaxDeliveryWait = wait;
            }
        });
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        try
        {
            options.Map(app);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new WebhookTestHost(app, logs);
    }

    /// <summary>The plugin's test configuration: an SMS sender, a WhatsApp sender and three actions.</summary>
    public static void ConfigurePlugin(InCallMessagingOptions plugin)
    {
        plugin.Senders["sms"] = new MessageSenderOptions { Provider = "Loopback", From = SmsSender };
        plugin.Senders["whatsapp"] = new MessageSenderOptions { Provider = "Loopback", From = WhatsAppSender };
        plugin.Actions.Add(new InCallMessageAction
        {
            Name = "send_link",
            Description = "Texts the caller the booking link.",
            Sender = "sms",
            Body = "Your booking link: https://example.com/b/123",
        });
        plugin.Actions.Add(new InCallMessageAction
        {
            Name = "confirm_by_text",
            Description = "Asks the caller to confirm the booking by text and waits for the answer.",
            Sender = "sms",
            Body = "Reply YES to confirm your booking.",
            WaitForReply = true,
            ReplyTimeout = TimeSpan.FromSeconds(30),
        });
        plugin.Actions.Add(new InCallMessageAction
        {
            Name = "ask_for_photo",
            Description = "Asks the caller on WhatsApp for a photo of the damage.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Template = new WhatsAppTemplate { TemplateId = TemplateId, Variables = { ["1"] = "photo" } },
        });
    }

    public Uri Url(string relative) => new(BaseAddress, relative);

    /// <summary>The URL Twilio would have called: what the server sees and rebuilds without a public base URL.</summary>
    public string TwilioUrl(string relative) => Url(relative).AbsoluteUri;

    public CallSession StartCall(string callId = "CA00000000000000000000000000000001") =>
        Calls.StartCall(callId, Caller, SmsSender);

    /// <summary>Invokes one of the plugin's functions on a kernel bound to <paramref name="session"/>; returns its JSON.</summary>
    public async Task<JsonElement> InvokeAsync(CallSession session, string function, CancellationToken cancellationToken = default)
    {
        var kernel = new Kernel();
        kernel.Plugins.Add(Plugin);
        var result = await kernel.WithCallSession(session).InvokeAsync(Plugin[function], new KernelArguments(), cancellationToken);
        return JsonDocument.Parse(result.GetValue<string>()!).RootElement.Clone();
    }

    /// <summary>Posts a correctly signed form to <paramref name="relative"/>.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(string relative, IReadOnlyList<KeyValuePair<string, string>> form) =>
        Client.SendAsync(TwilioTestSigner.SignedForm(Url(relative), TwilioUrl(relative), form, AuthToken));

    /// <summary>An inbound SMS webhook form, as Twilio posts it.</summary>
    public static List<KeyValuePair<string, string>> InboundSms(string messageSid, string body, string from = Caller, string to = SmsSender) =>
    [
        new("ToCountry", "US"),
        new("SmsMessageSid", messageSid),
        new("NumMedia", "0"),
        new("SmsSid", messageSid),
        new("SmsStatus", "received"),
        new("Body", body),
        new("To", to),
        new("NumSegments", "1"),
        new("MessageSid", messageSid),
        new("AccountSid", AccountSid),
        new("From", from),
        new("ApiVersion", "2010-04-01"),
        new("FromCity", "SAN FRANCISCO"),
    ];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
