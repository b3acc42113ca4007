using System.Globalization;
using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Meta.Tests.TestSupport;

/// <summary>
/// A real ASP.NET Core host on Kestrel (127.0.0.1, a free port) with the plugin sending through the Meta provider to a
/// <see cref="MetaGraphStandIn"/>, and the Meta webhook mapped at <c>/meta</c>.
/// </summary>
internal sealed class MetaTestHost : IAsyncDisposable
{
    public const string AccessToken = "EAAG-test-access-token";
    public const string AppSecret = "0123456789abcdef0123456789abcdef";
    public const string VerifyToken = "verify-me-please";
    public const string PhoneNumberId = "106540352242922";
    public const string BusinessNumber = "+14155550199";
    public const string Caller = "+14155550100";
    public const string CallerWaId = "14155550100";
    public const string CallId = "CA00000000000000000000000000000001";

    private MetaTestHost(WebApplication app, MetaGraphStandIn graph)
    {
        App = app;
        Graph = graph;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public MetaGraphStandIn Graph { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => App.Services;

    public ICallSessionRegistry Calls => Services.GetRequiredService<ICallSessionRegistry>();

    public KernelPlugin Plugin => Services.GetRequiredService<KernelPlugin>();

    /// <summary>Starts a stand-in and a host; <paramref name="actions"/> adds the actions under test (sender <c>whatsapp</c>).</summary>
    public static async Task<MetaTestHost> StartAsync(Action<InCallMessagingOptions> actions, Action<MetaWhatsAppOptions>? meta = null,
        Action<IServiceCollection>? services = null)
    {
        var graph = await MetaGraphStandIn.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddInCallMessaging(plugin =>
        {
            plugin.Senders["whatsapp"] = new MessageSenderOptions { Provider = "Meta", From = BusinessNumber, ServiceId = PhoneNumberId };
            actions(plugin);
        });
        builder.Services.AddInCallMessagingMetaWhatsApp(options =>
        {
            options.AccessToken = AccessToken;
            options.AppSecret = AppSecret;
            options.VerifyToken = VerifyToken;
            options.ApiBaseUrl = graph.BaseUrl;
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            options.PairRateLimitDelay = TimeSpan.FromMilliseconds(20);
            meta?.Invoke(options);
        });
        services?.Invoke(builder.Services);
        var app = builder.Build();
        try
        {
            app.MapMetaWhatsAppWebhook("/meta");
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            await graph.DisposeAsync();
            throw;
        }

        return new MetaTestHost(app, graph);
    }

    public CallSession StartCall(string callId = CallId) => Calls.StartCall(callId, Caller, BusinessNumber);

    /// <summary>Invokes one of the plugin's functions on a kernel bound to <paramref name="session"/>; returns its JSON.</summary>
    public async Task<JsonElement> InvokeAsync(CallSession session, string function, KernelArguments? arguments = null)
    {
        var kernel = new Kernel();
        kernel.Plugins.Add(Plugin);
        var result = await kernel.WithCallSession(session).InvokeAsync(Plugin[function], arguments ?? []);
        return JsonDocument.Parse(result.GetValue<string>()!).RootElement.Clone();
    }

    /// <summary>Posts <paramref name="body"/> to the webhook with the signature Meta would send.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(byte[] body, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "meta") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(MetaSignature.HeaderName, signature ?? MetaSignature.Sign(body, AppSecret));
        return Client.SendAsync(request);
    }

    /// <summary>The caller writes first, so WhatsApp's 24-hour window is open for free-form messages.</summary>
    public async Task OpenWindowAsync(string messageId = "wamid.caller-hello")
    {
        using var response = await PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Text(messageId, "hello")));
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

/// <summary>Webhook bodies as Meta documents them: <c>entry[].changes[].value</c> with metadata, contacts, messages, statuses.</summary>
internal static class MetaPayloads
{
    public static string Text(string id, string body, string? context = null) =>
        Message(id, "text", $$"""{"body":{{Json(body)}}}""", context);

    public static string ButtonReply(string id, string buttonId, string title, string? context = null) =>
        Message(id, "interactive", "{\"type\":\"button_reply\",\"button_reply\":{\"id\":" + Json(buttonId) + ",\"title\":" + Json(title) + "}}", context);

    public static string Image(string id, string mediaId, string caption) =>
        Message(id, "image", $$"""{"caption":{{Json(caption)}},"mime_type":"image/jpeg","sha256":"dGVzdA==","id":{{Json(mediaId)}}}""", null);

    /// <summary>A <c>statuses[]</c> item; <paramref name="errorCode"/> adds an <c>errors[]</c> entry.</summary>
    public static string Status(string id, string status, int? errorCode = null) =>
        $$"""{"id":{{Json(id)}},"status":"{{status}}","timestamp":"{{Now()}}","recipient_id":"{{MetaTestHost.CallerWaId}}"{{Errors(errorCode)}}}""";

    private static string Errors(int? code) => code is null ? "" :
        ",\"errors\":[{\"code\":" + code.Value.ToString(CultureInfo.InvariantCulture) + ",\"title\":\"Scripted error\",\"message\":\"Scripted error\",\"error_data\":{\"details\":\"Scripted by the test.\"}}]";

    /// <summary>One entry per item group: <paramref name="items"/> are messages or statuses, told apart by their shape.</summary>
    public static byte[] Batch(params string[] items)
    {
        var messages = items.Where(i => i.Contains("\"from\"", StringComparison.Ordinal)).ToList();
        var statuses = items.Where(i => !i.Contains("\"from\"", StringComparison.Ordinal)).ToList();
        var value = new StringBuilder($$"""{"messaging_product":"whatsapp","metadata":{"display_phone_number":"{{MetaTestHost.BusinessNumber.TrimStart('+')}}","phone_number_id":"{{MetaTestHost.PhoneNumberId}}"}""");
        if (messages.Count > 0)
        {
            value.Append($$""","contacts":[{"profile":{"name":"Caller"},"wa_id":"{{MetaTestHost.CallerWaId}}"}],"messages":[{{string.Join(',', messages)}}]""");
        }

        if (statuses.Count > 0)
        {
            value.Append($$""","statuses":[{{string.Join(',', statuses)}}]""");
        }

        value.Append('}');
        return Encoding.UTF8.GetBytes($$"""{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{{value}},"field":"messages"}]}]}""");
    }

    /// <summary>Two entries, each with one change, as Meta batches updates of different moments.</summary>
    public static byte[] TwoEntries(string first, string second)
    {
        var a = Encoding.UTF8.GetString(Batch(first));
        var b = Encoding.UTF8.GetString(Batch(second));
        var entryA = a[(a.IndexOf("[{\"id\"", StringComparison.Ordinal) + 1)..a.LastIndexOf(']')];
        var entryB = b[(b.IndexOf("[{\"id\"", StringComparison.Ordinal) + 1)..b.LastIndexOf(']')];
        return Encoding.UTF8.GetBytes($$"""{"object":"whatsapp_business_account","entry":[{{entryA}},{{entryB}}]}""");
    }

    private static string Message(string id, string type, string content, string? context)
    {
        var replyTo = context is null ? "" : "\"context\":{\"from\":\"" + MetaTestHost.BusinessNumber.TrimStart('+') + "\",\"id\":" + Json(context) + "},";
        return $$"""{"from":"{{MetaTestHost.CallerWaId}}","id":{{Json(id)}},"timestamp":"{{Now()}}",{{replyTo}}"type":"{{type}}","{{type}}":{{content}}}""";
    }

    private static string Json(string value) => JsonSerializer.Serialize(value);

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
