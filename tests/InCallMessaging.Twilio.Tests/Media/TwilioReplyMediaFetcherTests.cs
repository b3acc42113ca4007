using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Twilio.Tests.Media;

/// <summary>
/// The Twilio-aware reply-media fetcher against a local Kestrel stand-in: Twilio's media URL on <c>127.0.0.1</c> (taken
/// as Twilio's host through the test-only stand-in option) redirects to a "CDN" on <c>localhost</c>, as Twilio does.
/// </summary>
public sealed class TwilioReplyMediaFetcherTests : IAsyncLifetime
{
    private const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    private const string AuthToken = "media-auth-token-0123456789abcdef";
    private const string ApiKeySid = "SK0123456789abcdef0123456789abcdef";
    private const string ApiKeySecret = "api-key-secret";
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0xD9];

    private readonly ConcurrentQueue<(string Host, string Path, string? Authorization)> _requests = new();
    private WebApplication _app = null!;
    private int _port;

    private Uri TwilioMedia(string media = "ME0123456789abcdef0123456789abcdef") =>
        new($"http://127.0.0.1:{_port}/2010-04-01/Accounts/{AccountSid}/Messages/MM0123456789abcdef0123456789abcdef/Media/{media}");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            _requests.Enqueue((context.Request.Host.Host, context.Request.Path.Value ?? "", context.Request.Headers.Authorization.FirstOrDefault()));
            await next(context);
        });

        // Twilio: the media resource answers with a redirect to its CDN; without the right credentials, 401.
        _app.MapGet("/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}", (HttpContext context, string media) =>
        {
            var expected = new[] { Basic(AccountSid, AuthToken), Basic(ApiKeySid, ApiKeySecret) };
            if (!expected.Contains(context.Request.Headers.Authorization.FirstOrDefault()))
            {
                return Results.StatusCode(401);
            }

            return Results.Redirect($"http://localhost:{_port}/cdn/{media}", permanent: false, preserveMethod: true);
        });
        _app.MapGet("/cdn/{media}", (string media) => media switch
        {
            "MEhtml" => Results.Text("<html>not an image</html>", "text/html"),
            "MEbig" => Results.Bytes(new byte[4096], "image/jpeg"),
            "MEstream" => Results.Stream(async body =>
            {
                // No Content-Length: the fetcher must stop on its own.
                for (var i = 0; i < 64; i++)
                {
                    await body.WriteAsync(new byte[1024]);
                    await body.FlushAsync();
                }
            }, "image/png"),
            "MEoctet" => Results.Bytes(Jpeg, "application/octet-stream"),
            _ => Results.Bytes(Jpeg, "image/jpeg"),
        });
        await _app.StartAsync();
        _port = new Uri(_app.Urls.First()).Port;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private ServiceProvider Services(Action<TwilioOptions>? twilio = null, Action<ReplyMediaOptions>? media = null, bool standIn = true)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddInCallMessagingTwilio(o =>
        {
            o.AccountSid = AccountSid;
            o.AuthToken = AuthToken;
            if (standIn)
            {
                o.MediaStandInBaseUrl = new Uri($"http://127.0.0.1:{_port}");
            }

            twilio?.Invoke(o);
        });
        if (media is not null)
        {
            services.Configure<InCallMessagingOptions>(o => media(o.Media));
        }

        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Twilio_media_is_fetched_with_basic_auth_and_the_cdn_hop_gets_no_credentials()
    {
        await using var services = Services();
        var fetcher = services.GetRequiredService<IReplyMediaFetcher>();

        var fetched = await fetcher.FetchAsync(new InboundMedia(TwilioMedia(), "image/jpeg"));

        Assert.Equal(Jpeg, fetched.Content.ToArray());
        Assert.Equal("image/jpeg", fetched.ContentType);
        Assert.Equal(TwilioMedia(), fetched.Url);
        Assert.Equal(
        [
            ("127.0.0.1", TwilioMedia().AbsolutePath, (string?)Basic(AccountSid, AuthToken)),
            ("localhost", "/cdn/ME0123456789abcdef0123456789abcdef", null),
        ], _requests);
    }

    [Fact]
    public async Task An_api_key_is_used_instead_of_the_auth_token_when_configured()
    {
        await using var services = Services(o => (o.ApiKeySid, o.ApiKeySecret) = (ApiKeySid, ApiKeySecret));

        await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia(), "image/jpeg"));

        Assert.Equal(Basic(ApiKeySid, ApiKeySecret), _requests.First().Authorization);
        Assert.Null(_requests.Last().Authorization);
    }

    [Fact]
    public async Task Without_the_stand_in_a_local_url_is_not_twilios_and_gets_no_credentials()
    {
        await using var services = Services(standIn: false);

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia(), "image/jpeg")));

        Assert.Equal(ReplyMediaFetchFailure.HttpError, failure.Reason);
        Assert.Equal(401, failure.StatusCode);
        Assert.Contains("credentials", failure.Message, StringComparison.Ordinal);
        Assert.Null(Assert.Single(_requests).Authorization);
    }

    [Theory]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", true)]
    [InlineData("https://media.twilio.com/v1/Services/IS1/Media/ME1", true)]
    [InlineData("https://API.TWILIO.COM/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", true)]
    [InlineData("http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", false)]
    [InlineData("https://api.twilio.com:8443/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", false)]
    [InlineData("https://twilio.com/x", false)]
    [InlineData("https://eviltwilio.com/x", false)]
    [InlineData("https://api.twilio.com.evil.example/x", false)]
    [InlineData("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/abc", false)]
    [InlineData("https://user:pass@api.twilio.com/x", false)]
    [InlineData("http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", false)]
    public void Only_twilios_https_hosts_get_the_credentials(string url, bool twilio)
    {
        var options = new TwilioOptions { AccountSid = AccountSid, AuthToken = AuthToken };

        var header = TwilioMediaCredentials.For(new Uri(url), options);

        Assert.Equal(twilio, header is not null);
        if (twilio)
        {
            Assert.Equal(Basic(AccountSid, AuthToken), header!.ToString());
        }
    }

    [Fact]
    public async Task A_declared_content_type_that_is_not_allowed_is_not_requested()
    {
        await using var services = Services();

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia(), "video/mp4")));

        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, failure.Reason);
        Assert.Contains("AllowedContentTypes", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_requests);
    }

    [Fact]
    public async Task A_served_content_type_that_is_not_allowed_fails()
    {
        await using var services = Services();

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia("MEhtml"), "image/jpeg")));

        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, failure.Reason);
        Assert.Contains("'text/html'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generic_served_type_falls_back_to_the_declared_one()
    {
        await using var services = Services();

        var fetched = await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia("MEoctet"), "image/jpeg"));

        Assert.Equal("image/jpeg", fetched.ContentType);
    }

    [Fact]
    public async Task A_content_length_over_MaxBytes_fails_before_reading()
    {
        await using var services = Services(media: m => m.MaxBytes = 1000);

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia("MEbig"), "image/jpeg")));

        Assert.Equal(ReplyMediaFetchFailure.TooLarge, failure.Reason);
        Assert.Contains("4096 bytes", failure.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBytes (1000 bytes)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_without_length_stops_past_MaxBytes()
    {
        await using var services = Services(media: m => m.MaxBytes = 10_000);

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(TwilioMedia("MEstream"), "image/png")));

        Assert.Equal(ReplyMediaFetchFailure.TooLarge, failure.Reason);
    }

    [Fact]
    public async Task Allowed_content_types_can_name_a_family()
    {
        await using var services = Services(media: m => m.AllowedContentTypes = ["image/*"]);
        var fetcher = services.GetRequiredService<IReplyMediaFetcher>();

        var fetched = await fetcher.FetchAsync(new InboundMedia(TwilioMedia(), "image/jpeg"));
        var pdf = await Assert.ThrowsAsync<ReplyMediaFetchException>(() => fetcher.FetchAsync(new InboundMedia(TwilioMedia(), "application/pdf")));

        Assert.Equal(Jpeg.Length, fetched.Length);
        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, pdf.Reason);
    }

    [Fact]
    public async Task An_unsafe_url_is_refused()
    {
        await using var services = Services();

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(new Uri("file:///etc/passwd"), "image/jpeg")));

        Assert.Equal(ReplyMediaFetchFailure.UrlNotAllowed, failure.Reason);
        Assert.Empty(_requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_twilio_fetcher_replaces_the_plain_one_whichever_is_registered_first(bool pluginFirst)
    {
        var services = new ServiceCollection().AddLogging();
        Action<InCallMessagingOptions> plugin = o =>
        {
            o.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = "+15005550006" };
            o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." });
        };
        Action<TwilioOptions> twilio = o => (o.AccountSid, o.AuthToken, o.MediaStandInBaseUrl) = (AccountSid, AuthToken, new Uri($"http://127.0.0.1:{_port}"));
        if (pluginFirst)
        {
            services.AddInCallMessaging(plugin).AddInCallMessagingTwilio(twilio);
        }
        else
        {
            services.AddInCallMessagingTwilio(twilio).AddInCallMessaging(plugin);
        }

        await using var provider = services.BuildServiceProvider();
        var fetcher = Assert.Single(provider.GetServices<IReplyMediaFetcher>());
        var fetched = await fetcher.FetchAsync(new InboundMedia(TwilioMedia(), "image/jpeg"));

        Assert.Equal(Jpeg, fetched.Content.ToArray());
        Assert.Equal(Basic(AccountSid, AuthToken), _requests.First().Authorization);
    }
}
