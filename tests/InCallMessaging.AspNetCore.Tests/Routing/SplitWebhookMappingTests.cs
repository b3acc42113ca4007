using InCallMessaging.SemanticKernel;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.AspNetCore.Tests.Routing;

/// <summary>Each provider's webhooks mapped on their own, and a host that maps only what it uses.</summary>
public sealed class SplitWebhookMappingTests
{
    private static List<string?> Patterns(WebhookTestHost host) =>
        [.. host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText)];

    private static HttpRequestMessage CustomMessage(string path, string id, string text)
    {
        var body = JsonSerializer.Serialize(new { id, from = WebhookTestHost.Caller, to = WebhookTestHost.SmsSender, channel = "sms", text });
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-InCallMessaging-Signature",
            Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookTestHost.CustomSecret), Encoding.UTF8.GetBytes(body))));
        return request;
    }

    [Fact]
    public async Task MapTwilioMessagingWebhooks_maps_messages_and_status_only()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app => app.MapTwilioMessagingWebhooks("/sms"));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var response = await host.PostSignedAsync("sms/messages", WebhookTestHost.InboundSms("SM40000000000000000000000000000001", "twilio only"));

        var patterns = Patterns(host);
        Assert.Contains("/sms/messages", patterns);
        Assert.Contains("/sms/status", patterns);
        Assert.DoesNotContain(patterns, p => p?.Contains("custom", StringComparison.Ordinal) == true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
    }

    [Fact]
    public async Task MapCustomMessagingWebhook_maps_the_custom_endpoint_only_at_its_pattern()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app => app.MapCustomMessagingWebhook("/hooks/inbound"));

        var patterns = Patterns(host);

        Assert.Equal(["/hooks/inbound"], patterns.Where(p => p?.StartsWith("/hooks", StringComparison.Ordinal) == true || p?.StartsWith("/twilio", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task A_host_without_Twilio_maps_and_uses_only_the_custom_webhook()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.AuthToken = null; // AddInCallMessagingTwilio is never called
            o.Map = app => app.MapCustomMessagingWebhook();
        });
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var response = await host.Client.SendAsync(CustomMessage("custom/messages", "ext-split-1", "no Twilio here"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DeliveredToCall", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
        Assert.Null(host.Services.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value.AuthToken);
    }

    [Fact]
    public async Task Without_an_auth_token_the_Twilio_webhooks_refuse_to_map_but_the_custom_one_maps()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.AuthToken = null;
            o.Map = _ => { };
        });

        var error = Assert.Throws<InvalidOperationException>(() => host.App.MapTwilioMessagingWebhooks());
        var custom = host.App.MapCustomMessagingWebhook("/late/custom");

        Assert.Contains("AuthToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("Twilio messaging webhooks", error.Message, StringComparison.Ordinal);
        Assert.NotNull(custom);
    }

    [Fact]
    public async Task The_custom_webhook_needs_the_plugin_too()
    {
        var builder = WebApplication.CreateSlimBuilder();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCustomMessagingWebhook());

        Assert.Contains("AddInCallMessaging", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_validation_alone_is_enough_for_the_Twilio_webhooks()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.AuthToken = null; // no sending options: no AccountSid, no REST client
            o.ConfigureServices = services => services.AddTwilioSignatureValidation(s => s.AuthToken = WebhookTestHost.AuthToken);
            o.Map = app => app.MapTwilioMessagingWebhooks();
        });
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var signed = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM40000000000000000000000000000002", "signed"));
        using var forged = await host.Client.SendAsync(TwilioTestSigner.SignedForm(host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"),
            WebhookTestHost.InboundSms("SM40000000000000000000000000000003", "forged"), "not-the-auth-token"));

        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
    }

    [Fact]
    public async Task A_signature_for_an_alternate_public_url_is_accepted_and_any_other_is_not()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.PublicBaseUrl = new Uri("https://new.example.com");
            o.ConfigureServices = services => services.AddTwilioSignatureValidation(s => s.AlternatePublicBaseUrls.Add(new Uri("https://old.example.com/bot")));
        });
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        async Task<HttpStatusCode> PostAsync(string signedUrl, string sid)
        {
            using var response = await host.Client.SendAsync(TwilioTestSigner.SignedForm(host.Url("twilio/messages"), signedUrl,
                WebhookTestHost.InboundSms(sid, "moving"), WebhookTestHost.AuthToken));
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await PostAsync("https://new.example.com/twilio/messages", "SM40000000000000000000000000000004"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync("https://old.example.com/bot/twilio/messages", "SM40000000000000000000000000000005"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync("https://old.example.com:443/bot/twilio/messages", "SM40000000000000000000000000000006"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync("https://other.example.com/twilio/messages", "SM40000000000000000000000000000007"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(host.TwilioUrl("twilio/messages"), "SM40000000000000000000000000000008"));
    }
}
