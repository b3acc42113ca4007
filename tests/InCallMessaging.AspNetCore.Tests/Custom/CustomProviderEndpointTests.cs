using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.AspNetCore.Tests.Custom;

public sealed class CustomProviderEndpointTests
{
    private const string Path = "twilio/custom/messages";

    private static string Hmac(string body, string secret = WebhookTestHost.CustomSecret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static string Body(string id, string text, string channel = "sms", string from = WebhookTestHost.Caller, string to = WebhookTestHost.SmsSender) =>
        JsonSerializer.Serialize(new { id, from, to, channel, text });

    private static HttpRequestMessage Request(string body, string? signature, string mediaType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        if (signature is not null)
        {
            request.Headers.Add("X-InCallMessaging-Signature", signature);
        }

        return request;
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256=")]
    public async Task A_signed_message_is_delivered_to_the_call(string prefix)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var body = Body("ext-1", "Custom hello");

        using var response = await host.Client.SendAsync(Request(body, prefix + Hmac(body)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("DeliveredToCall", answer.GetProperty("outcome").GetString());
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Equal("[SMS Reply]: Custom hello", history[^1].Content);
        var inbound = Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound);
        Assert.Equal("ext-1", inbound.MessageId);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Information && e.Message.StartsWith("Inbound Http Sms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_repeated_id_is_delivered_once()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var body = Body("ext-2", "once");

        using var first = await host.Client.SendAsync(Request(body, Hmac(body)));
        using var second = await host.Client.SendAsync(Request(body, Hmac(body)));

        Assert.Equal("Duplicate", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
    }

    [Fact]
    public async Task A_missing_signature_gets_401()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.Client.SendAsync(Request(Body("ext-3", "hi"), signature: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("deadbeef")]
    [InlineData("sha256=zz")]
    public async Task A_malformed_signature_gets_403(string signature)
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.Client.SendAsync(Request(Body("ext-4", "hi"), signature));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_signature_with_another_secret_gets_403_and_nothing_lands()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var body = Body("ext-5", "forged");

        using var response = await host.Client.SendAsync(Request(body, Hmac(body, "some-other-secret-value")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(session.HasPendingReplies);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Warning && e.Message.Contains("does not match", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_configured_secret_every_request_is_refused()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.CustomProviderSecret = null);
        var body = Body("ext-6", "hi");

        using var response = await host.Client.SendAsync(Request(body, Hmac(body)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Error && e.Message.Contains("CustomProviderSecret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"from":"+14155550100","to":"+15005550006","text":"hi"}""", "'id'")]
    [InlineData("""{"id":"x","to":"+15005550006","text":"hi"}""", "'from'")]
    [InlineData("""{"id":"x","from":"+14155550100","text":"hi"}""", "'to'")]
    [InlineData("""{"id":"x","from":"+14155550100","to":"+15005550006"}""", "'text'")]
    [InlineData("""{"id":7,"from":"+14155550100","to":"+15005550006","text":"hi"}""", "'id'")]
    [InlineData("""{"id":"x","from":"+14155550100","to":"+15005550006","text":"hi","channel":"fax"}""", "'channel'")]
    [InlineData("""{"id":"x",""", "not valid JSON")]
    [InlineData("""["x"]""", "JSON object")]
    public async Task A_malformed_body_is_answered_400_naming_the_problem(string body, string expected)
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.Client.SendAsync(Request(body, Hmac(body)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_and_nothing_lands()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.MaxBodyBytes = 2048);
        var session = host.StartCall();
        var body = Body("ext-413", new string('x', 4096));

        using var response = await host.Client.SendAsync(Request(body, Hmac(body)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public async Task A_signed_form_body_is_answered_400_naming_the_content_type()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var body = "id=x&from=%2B14155550100";

        using var response = await host.Client.SendAsync(Request(body, Hmac(body), "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("application/json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whatsapp_message_reaches_the_whatsapp_conversation()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "ask_for_photo");
        var body = Body("ext-7", "Photo coming", "whatsapp", "whatsapp:" + WebhookTestHost.Caller, WebhookTestHost.WhatsAppSender);

        using var response = await host.Client.SendAsync(Request(body, Hmac(body)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Photo coming", session.GetVariable("whatsapp_reply"));
    }
}
