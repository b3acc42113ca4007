using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace InCallMessaging.AspNetCore.Tests.Internal;

public sealed class TwilioSignedUrlTests
{
    private static HttpRequest Request(string scheme, string host, string path, string query = "", string? rawTarget = null, bool webSocket = false)
    {
        var context = new DefaultHttpContext();
        if (webSocket)
        {
            context.Request.Method = HttpMethods.Get;
            context.Request.Headers.Upgrade = "websocket";
        }

        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget!;
        return context.Request;
    }

    [Fact]
    public void Without_a_public_base_the_request_url_is_rebuilt()
    {
        var urls = TwilioSignedUrl.Build(Request("https", "bot.example.com:8443", "/twilio/messages", "?a=1&b=%20"), null);

        Assert.Equal(["https://bot.example.com:8443/twilio/messages?a=1&b=%20"], urls);
    }

    [Fact]
    public void Each_request_gets_its_own_url_when_one_thread_builds_many_in_turn()
    {
        // The URL built last is reused for a request to the same scheme, host and target: any difference must show.
        (string Scheme, string Host, string Path, string Query)[] requests =
        [
            ("https", "bot.example.com", "/twilio/messages", ""),
            ("https", "bot.example.com", "/twilio/messages", ""),
            ("http", "bot.example.com", "/twilio/messages", ""),
            ("http", "bot.example.com:80", "/twilio/messages", ""),
            ("http", "bot.example.com:80", "/twilio/status", ""),
            ("http", "bot.example.com:80", "/twilio/status", "?retry=1"),
            ("https", "bot.example.com", "/twilio/messages", ""),
        ];

        foreach (var (scheme, host, path, query) in requests)
        {
            var urls = TwilioSignedUrl.Build(Request(scheme, host, path, query), null);

            Assert.Equal([$"{scheme}://{host}{path}{query}"], urls);
        }
    }

    [Fact]
    public void The_raw_target_keeps_the_escaping_twilio_signed()
    {
        var urls = TwilioSignedUrl.Build(Request("http", "h", "/twilio/messages", "?x=a+b", rawTarget: "/twilio/%6Dessages?x=a+b"), null);

        Assert.Equal(["http://h/twilio/%6Dessages?x=a+b"], urls);
    }

    [Fact]
    public void A_public_base_replaces_scheme_host_and_port_and_keeps_its_path()
    {
        var urls = TwilioSignedUrl.Build(Request("http", "127.0.0.1:5000", "/twilio/messages", "?t=1"), new Uri("https://abc.ngrok.app/bot/"));

        Assert.Equal(["https://abc.ngrok.app/bot/twilio/messages?t=1"], urls);
    }

    [Fact]
    public void A_public_base_spelled_unlike_its_normal_form_gives_both_spellings()
    {
        var urls = TwilioSignedUrl.Build(Request("http", "127.0.0.1:5000", "/twilio/status"), new Uri("https://Bot.Example.com"));

        Assert.Equal(["https://Bot.Example.com/twilio/status", "https://bot.example.com/twilio/status"], urls);
    }

    [Fact]
    public void A_websocket_upgrade_is_tried_as_ws_first_then_as_http()
    {
        var urls = TwilioSignedUrl.Build(Request("http", "127.0.0.1:5000", "/voice/relay", "?c=1", webSocket: true), null);

        Assert.Equal(["ws://127.0.0.1:5000/voice/relay?c=1", "http://127.0.0.1:5000/voice/relay?c=1"], urls);
    }

    [Fact]
    public void A_websocket_upgrade_behind_a_public_base_is_tried_as_wss_in_every_spelling_of_the_base()
    {
        var urls = TwilioSignedUrl.Build(Request("http", "127.0.0.1:5000", "/voice/relay", webSocket: true), new Uri("https://Bot.Example.com"));

        Assert.Equal(
        [
            "wss://Bot.Example.com/voice/relay", "wss://bot.example.com/voice/relay",
            "https://Bot.Example.com/voice/relay", "https://bot.example.com/voice/relay",
        ], urls);
    }

    [Fact]
    public void A_plain_get_or_a_post_naming_an_upgrade_is_not_taken_for_a_websocket_upgrade()
    {
        var plainGet = Request("https", "bot.example.com", "/voice/relay");
        plainGet.Method = HttpMethods.Get;
        var post = Request("https", "bot.example.com", "/twilio/messages", webSocket: true);
        post.Method = HttpMethods.Post;

        Assert.Equal(["https://bot.example.com/voice/relay"], TwilioSignedUrl.Build(plainGet, null));
        Assert.Equal(["https://bot.example.com/twilio/messages"], TwilioSignedUrl.Build(post, null));
    }

    [Fact]
    public void The_twilio_documentation_vector_validates_with_the_validator_used()
    {
        // Twilio's documented example: token 12345.
        List<KeyValuePair<string, string>> form =
        [
            new("CallSid", "CA1234567890ABCDE"), new("Caller", "+12349013030"), new("Digits", "1234"),
            new("From", "+12349013030"), new("To", "+18005551212"),
        ];
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";

        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TestSupport.TwilioTestSigner.Sign(url, form, "12345"));
        Assert.True(TwilioSignature.IsValid(url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345"));
        Assert.True(TwilioSignature.IsValid("https://mycompany.com:443/myapp.php?foo=1&bar=2", form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345"));
        Assert.False(TwilioSignature.IsValid(url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "54321"));
    }

    [Fact]
    public void The_webhook_base_url_wins_then_the_signature_base_url_then_the_request()
    {
        var request = Request("http", "127.0.0.1:5000", "/twilio/messages");
        var signature = new TwilioSignatureOptions { PublicBaseUrl = new Uri("https://sig.example.com") };

        Assert.Equal(["https://hooks.example.com/twilio/messages"],
            TwilioSignedUrl.Candidates(request, signature, new WebhookOptions { PublicBaseUrl = new Uri("https://hooks.example.com") }));
        Assert.Equal(["https://sig.example.com/twilio/messages"], TwilioSignedUrl.Candidates(request, signature, new WebhookOptions()));
        Assert.Equal(["http://127.0.0.1:5000/twilio/messages"], TwilioSignedUrl.Candidates(request, new TwilioSignatureOptions(), new WebhookOptions()));
    }

    [Fact]
    public void Alternate_base_urls_come_after_the_main_one_each_once()
    {
        var request = Request("http", "127.0.0.1:5000", "/twilio/messages", "?t=1");
        var signature = new TwilioSignatureOptions
        {
            PublicBaseUrl = new Uri("https://bot.example.com"),
            AlternatePublicBaseUrls = { new Uri("https://Old.Example.com/bot/"), new Uri("https://bot.example.com") },
        };

        var urls = TwilioSignedUrl.Candidates(request, signature, new WebhookOptions());

        Assert.Equal(
            ["https://bot.example.com/twilio/messages?t=1", "https://Old.Example.com/bot/twilio/messages?t=1", "https://old.example.com/bot/twilio/messages?t=1"],
            urls);
    }
}
