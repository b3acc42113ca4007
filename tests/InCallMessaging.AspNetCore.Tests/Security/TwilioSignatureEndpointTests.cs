using InCallMessaging.SemanticKernel;
using System.Net;
using System.Net.WebSockets;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.AspNetCore.Tests.Security;

public sealed class TwilioSignatureEndpointTests
{
    [Fact]
    public async Task A_wrong_signature_gets_403_and_nothing_lands()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM10000000000000000000000000000001", "forged");
        using var request = TwilioTestSigner.SignedForm(host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"), form, "not-the-auth-token");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(session.HasPendingReplies);
        Assert.Null(session.GetVariable("sms_reply"));
        Assert.Empty(host.Hub.UnmatchedReplies);
        var rejected = Assert.Single(host.Logs.Webhooks, e => e.Message.Contains("X-Twilio-Signature", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, rejected.Level);
    }

    [Fact]
    public async Task A_tampered_parameter_gets_403()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var signed = WebhookTestHost.InboundSms("SM10000000000000000000000000000002", "yes");
        var signature = TwilioTestSigner.Sign(host.TwilioUrl("twilio/messages"), signed, WebhookTestHost.AuthToken);
        var tampered = signed.Select(p => p.Key == "Body" ? new KeyValuePair<string, string>("Body", "no") : p).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, host.Url("twilio/messages")) { Content = new FormUrlEncodedContent(tampered) };
        request.Headers.Add("X-Twilio-Signature", signature);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public async Task A_loopback_request_without_signature_gets_403()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var response = await host.Client.PostAsync("twilio/messages",
            new FormUrlEncodedContent(WebhookTestHost.InboundSms("SM10000000000000000000000000000003", "from loopback")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(session.HasPendingReplies);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Warning && e.Message.Contains("is missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_status_endpoint_checks_the_signature_too()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.Client.PostAsync("twilio/status", new FormUrlEncodedContent(
        [
            new("MessageSid", "SM10000000000000000000000000000004"),
            new("MessageStatus", "failed"),
        ]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Behind_a_proxy_the_signature_is_checked_against_the_public_base_url()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.PublicBaseUrl = new Uri("https://bot.example.com"));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM10000000000000000000000000000005", "via the tunnel");

        using var local = await host.Client.SendAsync(TwilioTestSigner.SignedForm(
            host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"), form, WebhookTestHost.AuthToken));
        using var proxied = await host.Client.SendAsync(TwilioTestSigner.SignedForm(
            host.Url("twilio/messages"), "https://bot.example.com/twilio/messages", form, WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.Forbidden, local.StatusCode);
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
    }

    [Fact]
    public async Task The_public_base_url_keeps_its_path_and_the_query_string_is_signed()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.PublicBaseUrl = new Uri("https://abc.ngrok.app/voicebot/"));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM10000000000000000000000000000006", "with query");

        using var response = await host.Client.SendAsync(TwilioTestSigner.SignedForm(
            host.Url("twilio/messages?tenant=a%20b&x=1"), "https://abc.ngrok.app/voicebot/twilio/messages?tenant=a%20b&x=1", form, WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("https://bot.example.com", "https://bot.example.com:443/twilio/messages")]
    [InlineData("https://bot.example.com", "https://bot.example.com/twilio/messages")]
    [InlineData("https://bot.example.com:443", "https://bot.example.com/twilio/messages")]
    [InlineData("https://bot.example.com:443", "https://bot.example.com:443/twilio/messages")]
    public async Task Both_port_variants_of_the_public_url_are_accepted(string publicBase, string signedUrl)
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.PublicBaseUrl = new Uri(publicBase));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var response = await host.Client.SendAsync(TwilioTestSigner.SignedForm(
            host.Url("twilio/messages"), signedUrl, WebhookTestHost.InboundSms("SM10000000000000000000000000000007", "port"), WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("bot.internal", "http://bot.internal:80/twilio/messages")]
    [InlineData("bot.internal", "http://bot.internal/twilio/messages")]
    [InlineData("bot.internal:80", "http://bot.internal/twilio/messages")]
    public async Task Both_port_variants_of_the_request_url_are_accepted(string hostHeader, string signedUrl)
    {
        await using var host = await WebhookTestHost.StartAsync();
        using var request = TwilioTestSigner.SignedForm(host.Url("twilio/messages"), signedUrl,
            WebhookTestHost.InboundSms("SM10000000000000000000000000000008", "port"), WebhookTestHost.AuthToken);
        request.Headers.Host = hostHeader;

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_signature_for_another_port_gets_403()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var otherPort = $"http://127.0.0.1:{host.BaseAddress.Port + 1}/twilio/messages";

        using var response = await host.Client.SendAsync(TwilioTestSigner.SignedForm(host.Url("twilio/messages"), otherPort,
            WebhookTestHost.InboundSms("SM10000000000000000000000000000009", "port"), WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Mapping_without_an_auth_token_fails_at_start_up()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WebhookTestHost.StartAsync(o => o.AuthToken = null));

        Assert.Contains("AuthToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_filter_refuses_with_500_when_no_auth_token_is_configured()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.AuthToken = null;
            o.Map = app => app.MapPost("/hooks/voice", () => "reached").ValidateTwilioSignature();
        });

        using var response = await host.Client.PostAsync("hooks/voice", new FormUrlEncodedContent([new("CallSid", "CA1")]));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("reached", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Error && e.Message.Contains("AuthToken", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_filter_can_guard_any_endpoint_or_group()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app =>
        {
            app.MapInCallMessagingWebhooks();
            app.MapGroup("/voice").ValidateTwilioSignature().MapPost("/incoming", (HttpRequest request) => Results.Text("ok:" + request.Form["CallSid"]));
        });
        List<KeyValuePair<string, string>> form = [new("CallSid", "CA42"), new("From", WebhookTestHost.Caller)];

        using var unsigned = await host.Client.PostAsync("voice/incoming", new FormUrlEncodedContent(form));
        using var signed = await host.Client.SendAsync(TwilioTestSigner.SignedForm(host.Url("voice/incoming"), host.TwilioUrl("voice/incoming"), form, WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal("ok:CA42", await signed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_json_body_request_is_checked_with_its_body_hash()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app =>
        {
            app.MapInCallMessagingWebhooks();
            app.MapPost("/hooks/json", async (HttpRequest request) => "reached:" + await new StreamReader(request.Body).ReadToEndAsync())
                .ValidateTwilioSignature();
        });
        var body = """{"CallSid":"CA1"}"""u8.ToArray();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        var relative = "hooks/json?bodySHA256=" + hash;

        async Task<HttpResponseMessage> PostAsync(byte[] content)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, host.Url(relative)) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Twilio-Signature", TwilioTestSigner.Sign(host.TwilioUrl(relative), [], WebhookTestHost.AuthToken));
            return await host.Client.SendAsync(request);
        }

        using var genuine = await PostAsync(body);
        using var altered = await PostAsync("""{"CallSid":"CA2"}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        Assert.Equal("""reached:{"CallSid":"CA1"}""", await genuine.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, altered.StatusCode);
    }

    [Fact]
    public async Task An_endpoint_behind_the_filter_reads_the_signed_form_and_its_raw_body_unchanged()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app =>
        {
            app.MapInCallMessagingWebhooks();
            app.MapPost("/hooks/form", async (HttpRequest request) =>
            {
                var raw = await new StreamReader(request.Body).ReadToEndAsync();
                var form = await request.ReadFormAsync();
                return $"{form["Tag"]}|{form["Body"]}|{form["tag"].Count}|{raw}";
            }).ValidateTwilioSignature();
        });
        KeyValuePair<string, string>[] form = [new("Tag", "a"), new("Body", "Hi + bye & café"), new("Tag", "b")];

        using var response = await host.Client.SendAsync(TwilioTestSigner.SignedForm(host.Url("hooks/form"), host.TwilioUrl("hooks/form"), form, WebhookTestHost.AuthToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expectedRaw = await new FormUrlEncodedContent(form).ReadAsStringAsync();
        Assert.Equal("a,b|Hi + bye & café|2|" + expectedRaw, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_websocket_upgrade_is_checked_against_the_ws_url_twilio_connected_to()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = MapRelay);
        var relay = new Uri("ws" + host.TwilioUrl("relay?call=1")[4..]);

        var unsigned = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(relay, signature: null));
        var wrongScheme = await Assert.ThrowsAsync<WebSocketException>(() =>
            ConnectAsync(relay, TwilioTestSigner.Sign("wss" + relay.AbsoluteUri[2..], [], WebhookTestHost.AuthToken)));

        Assert.Contains("403", unsigned.Message, StringComparison.Ordinal);
        Assert.Contains("403", wrongScheme.Message, StringComparison.Ordinal);
        Assert.Equal("accepted", await ConnectAsync(relay, TwilioTestSigner.Sign(relay.AbsoluteUri, [], WebhookTestHost.AuthToken)));
        Assert.Equal("accepted", await ConnectAsync(relay, TwilioTestSigner.Sign(host.TwilioUrl("relay?call=1"), [], WebhookTestHost.AuthToken)));
    }

    [Fact]
    public async Task Behind_a_proxy_a_websocket_upgrade_is_checked_against_the_public_wss_url()
    {
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.PublicBaseUrl = new Uri("https://bot.example.com/agent/");
            o.Map = MapRelay;
        });
        var relay = new Uri("ws" + host.TwilioUrl("relay")[4..]);

        var local = await Assert.ThrowsAsync<WebSocketException>(() =>
            ConnectAsync(relay, TwilioTestSigner.Sign(relay.AbsoluteUri, [], WebhookTestHost.AuthToken)));

        Assert.Contains("403", local.Message, StringComparison.Ordinal);
        Assert.Equal("accepted", await ConnectAsync(relay, TwilioTestSigner.Sign("wss://bot.example.com/agent/relay", [], WebhookTestHost.AuthToken)));
    }

    /// <summary>A WebSocket endpoint behind the filter that accepts, says "accepted" in its close message and closes.</summary>
    private static void MapRelay(WebApplication app)
    {
        app.MapInCallMessagingWebhooks();
        app.UseWebSockets();
        app.Map("/relay", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "accepted", context.RequestAborted);
        }).ValidateTwilioSignature();
    }

    /// <summary>Connects (with the signature header when given) and returns the server's close description.</summary>
    private static async Task<string?> ConnectAsync(Uri url, string? signature)
    {
        using var client = new ClientWebSocket();
        if (signature is not null)
        {
            client.Options.SetRequestHeader("X-Twilio-Signature", signature);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(url, timeout.Token);
        var received = await client.ReceiveAsync(new byte[16], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        return client.CloseStatusDescription;
    }
}
