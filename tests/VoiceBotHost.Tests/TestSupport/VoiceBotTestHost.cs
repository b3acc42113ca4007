using System.Net.Http;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VoiceBotHost;

namespace VoiceBotHost.Tests.TestSupport;

/// <summary>The sample host, in-process on 127.0.0.1 with a free port, built exactly as Program builds it.</summary>
public sealed class VoiceBotTestHost : IAsyncDisposable
{
    public const string Caller = "+14155550123";
    public const string SmsSender = "+14155550199";
    public const string WhatsAppSender = "+14155550198";

    private static readonly HttpClient Http = new();

    private VoiceBotTestHost(WebApplication app) => App = app;

    public WebApplication App { get; }

    public Uri BaseUri => App.Services.GetRequiredService<SelfAddress>().BaseUri;

    public Uri RelayUri => new($"ws://{BaseUri.Authority}/voice/relay");

    public ICallSessionRegistry Calls => App.Services.GetRequiredService<ICallSessionRegistry>();

    public LoopbackMessageProvider Loopback => App.Services.GetRequiredService<LoopbackMessageProvider>();

    public string AuthToken => App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TwilioOptions>>().Value.AuthToken!;

    /// <summary>Starts the host. With <paramref name="llm"/> the agent talks to that OpenAI-compatible server.</summary>
    public static async Task<VoiceBotTestHost> StartAsync(Uri? llm = null, IDictionary<string, string?>? settings = null, string environment = "Development",
        Action<WebApplicationBuilder>? configure = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["PublicBaseUrl"] = "",
            // A database of its own per host, as the sample's default file would be shared by tests running side by side.
            ["ConnectionStrings:InCallMessaging"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"voicebot-test-{Guid.NewGuid():N}.db")}",
        };
        if (llm is null)
        {
            overrides["Llm:UseDemoModel"] = "true";
        }
        else
        {
            overrides["Llm:BaseUrl"] = llm.AbsoluteUri;
            overrides["Llm:ApiKey"] = "test";
            overrides["Llm:Model"] = "test";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var app = VoiceBotApp.Build([$"--environment={environment}"], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(overrides);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        return new VoiceBotTestHost(app);
    }

    /// <summary>POSTs a form signed as Twilio signs it: over the URL Twilio would call (the public base when set).</summary>
    public async Task<HttpResponseMessage> PostSignedAsync(string path, IReadOnlyList<KeyValuePair<string, string>> form, string? signedBase = null)
    {
        var signedUrl = (signedBase ?? BaseUri.AbsoluteUri).TrimEnd('/') + path;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri, path.TrimStart('/'))) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(signedUrl, form, AuthToken));
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostUnsignedAsync(string path, IReadOnlyList<KeyValuePair<string, string>> form) =>
        Http.PostAsync(new Uri(BaseUri, path.TrimStart('/')), new FormUrlEncodedContent(form));

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(new Uri(BaseUri, path.TrimStart('/')));

    /// <summary>An inbound SMS as Twilio's messaging webhook sends it.</summary>
    public static List<KeyValuePair<string, string>> InboundSms(string body, string from = Caller, string to = SmsSender) =>
    [
        new("AccountSid", DevelopmentCredentials.AccountSid),
        new("ApiVersion", "2010-04-01"),
        new("Body", body),
        new("From", from),
        new("MessageSid", "SM" + Guid.NewGuid().ToString("N")),
        new("NumMedia", "0"),
        new("SmsStatus", "received"),
        new("To", to),
    ];

    public static string NewCallSid() => "CA" + Guid.NewGuid().ToString("N");

    public static async Task<bool> EventuallyAsync(Func<bool> condition, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
