using System.Net;
using System.Security.Cryptography;
using InCallMessaging.Meta.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;

namespace InCallMessaging.Meta.Tests.Media;

/// <summary>
/// Inbound WhatsApp media through Meta's Cloud API, end to end on Kestrel: the image arrives on the signed webhook as
/// its media object's Graph URL, and <see cref="IReplyMediaFetcher"/> downloads it from the Graph stand-in in two
/// requests, with the access token on Meta's hosts only and within <c>InCallMessaging:Media</c>'s limits.
/// </summary>
public sealed class MetaMediaFetchTests
{
    private const string Bearer = "Bearer " + MetaTestHost.AccessToken;

    private static InCallMessageAction Notice() => new()
    {
        Name = "send_notice",
        Description = "Sends the caller a notice on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Template = new WhatsAppTemplate { TemplateId = "appointment_notice" },
    };

    private static Task<MetaTestHost> StartAsync(long maxBytes = 5L * 1024 * 1024, TimeSpan? timeout = null) => MetaTestHost.StartAsync(p =>
    {
        p.Actions.Add(Notice());
        p.Media = new ReplyMediaOptions { MaxBytes = maxBytes, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    });

    /// <summary>Bytes that are not all alike, so a truncated or shifted copy would not compare equal.</summary>
    private static byte[] Photo(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static InboundMedia GraphMedia(MetaTestHost host, string mediaId, string contentType = "image/jpeg") =>
        new(new Uri(host.Graph.BaseUrl, $"/v24.0/{mediaId}"), contentType);

    private static async Task<ReplyMediaFetchException> FetchFailsAsync(MetaTestHost host, InboundMedia media) =>
        await Assert.ThrowsAsync<ReplyMediaFetchException>(() => host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(media));

    [Fact]
    public async Task An_image_posted_to_the_webhook_is_fetched_with_the_token_on_both_requests_and_arrives_byte_for_byte()
    {
        await using var host = await StartAsync();
        var photo = Photo(70_000);
        host.Graph.WithMedia("1234567890", new StandInMedia(photo, "image/jpeg"));
        var session = host.StartCall();
        Assert.Equal("sent", (await host.InvokeAsync(session, "send_notice")).GetProperty("status").GetString());

        using (var response = await host.PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Image("wamid.photo", "1234567890", "the damage"))))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var media = Assert.Single(session.Messages.Single(m => m.Direction == MessageDirection.Inbound).Media);
        var fetched = await host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(media);

        Assert.Equal(photo, fetched.Content.ToArray());
        Assert.Equal("image/jpeg", fetched.ContentType);
        Assert.Equal(media.Url, fetched.Url);
        var metadata = Assert.Single(host.Graph.MediaObjectRequests);
        Assert.Equal("/v24.0/1234567890", metadata.Path);
        Assert.Equal(Bearer, metadata.Authorization);
        var download = Assert.Single(host.Graph.DownloadRequests);
        Assert.Equal(host.Graph.BaseUrl.Port, download.Port);
        Assert.Equal(Bearer, download.Authorization);
    }

    [Fact]
    public async Task A_download_url_on_another_host_is_fetched_without_the_token()
    {
        await using var host = await StartAsync();
        var photo = Photo(2_000);
        host.Graph.WithMedia("2222", new StandInMedia(photo, "image/png") { OnForeignHost = true });

        var fetched = await host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(GraphMedia(host, "2222", "image/png"));

        Assert.Equal(photo, fetched.Content.ToArray());
        Assert.Equal(Bearer, Assert.Single(host.Graph.MediaObjectRequests).Authorization);
        var download = Assert.Single(host.Graph.DownloadRequests);
        Assert.Equal(host.Graph.ForeignBaseUrl.Port, download.Port);
        Assert.Equal("", download.Authorization);
    }

    [Fact]
    public async Task A_redirect_from_the_download_url_to_another_host_does_not_carry_the_token()
    {
        await using var host = await StartAsync();
        var photo = Photo(2_500);
        host.Graph.WithMedia("2223", new StandInMedia(photo, "image/jpeg") { RedirectsToForeignHost = true });

        var fetched = await host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(GraphMedia(host, "2223"));

        Assert.Equal(photo, fetched.Content.ToArray());
        Assert.Collection(host.Graph.DownloadRequests,
            first => Assert.Equal((host.Graph.BaseUrl.Port, Bearer), (first.Port, first.Authorization)),
            second => Assert.Equal((host.Graph.ForeignBaseUrl.Port, ""), (second.Port, second.Authorization)));
    }

    [Fact]
    public async Task A_file_size_over_MaxBytes_fails_as_too_large_before_the_download()
    {
        await using var host = await StartAsync(maxBytes: 1_000);
        host.Graph.WithMedia("3333", new StandInMedia(Photo(5_000), "image/jpeg"));

        var failure = await FetchFailsAsync(host, GraphMedia(host, "3333"));

        Assert.Equal(ReplyMediaFetchFailure.TooLarge, failure.Reason);
        Assert.Contains("5000 bytes", failure.Message, StringComparison.Ordinal);
        Assert.Contains("InCallMessaging:Media:MaxBytes", failure.Message, StringComparison.Ordinal);
        Assert.Empty(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task Bytes_over_MaxBytes_fail_as_too_large_even_when_the_file_size_understates_them()
    {
        await using var host = await StartAsync(maxBytes: 1_000);
        host.Graph.WithMedia("4444", new StandInMedia(Photo(5_000), "image/jpeg") { FileSize = 900 });

        var failure = await FetchFailsAsync(host, GraphMedia(host, "4444"));

        Assert.Equal(ReplyMediaFetchFailure.TooLarge, failure.Reason);
        Assert.Single(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task A_content_type_not_allowed_fails_whether_the_webhook_or_Meta_declares_it()
    {
        await using var host = await StartAsync();
        host.Graph.WithMedia("5555", new StandInMedia(Photo(100), "video/mp4"));
        host.Graph.WithMedia("5556", new StandInMedia(Photo(100), "image/jpeg") { MimeType = "video/mp4" });

        var declaredByWebhook = await FetchFailsAsync(host, GraphMedia(host, "5555", "video/mp4"));
        var declaredByMeta = await FetchFailsAsync(host, GraphMedia(host, "5556", "image/jpeg"));

        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, declaredByWebhook.Reason);
        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, declaredByMeta.Reason);
        Assert.Contains("InCallMessaging:Media:AllowedContentTypes", declaredByMeta.Message, StringComparison.Ordinal);
        Assert.Single(host.Graph.MediaObjectRequests);
        Assert.Empty(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task An_expired_token_fails_with_the_status_and_names_the_access_token_setting()
    {
        await using var host = await StartAsync();
        host.Graph.WithMedia("6666", new StandInMedia(Photo(100), "image/jpeg") { Error = (401, 190) });

        var failure = await FetchFailsAsync(host, GraphMedia(host, "6666"));

        Assert.Equal(ReplyMediaFetchFailure.HttpError, failure.Reason);
        Assert.Equal(401, failure.StatusCode);
        Assert.Contains("error 190", failure.Message, StringComparison.Ordinal);
        Assert.Contains("InCallMessaging:Meta:AccessToken", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(MetaTestHost.AccessToken, failure.Message, StringComparison.Ordinal);
        Assert.Empty(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task A_media_id_Meta_does_not_know_fails_saying_so()
    {
        await using var host = await StartAsync();

        var failure = await FetchFailsAsync(host, GraphMedia(host, "7777"));

        Assert.Equal(ReplyMediaFetchFailure.HttpError, failure.Reason);
        Assert.Equal(400, failure.StatusCode);
        Assert.Contains("Meta has no media 7777", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Meta_not_answering_within_the_media_timeout_fails_as_a_timeout()
    {
        await using var host = await StartAsync(timeout: TimeSpan.FromMilliseconds(300));
        host.Graph.WithMedia("7070", new StandInMedia(Photo(100), "image/jpeg") { Hangs = true });

        var failure = await FetchFailsAsync(host, GraphMedia(host, "7070"));

        Assert.Equal(ReplyMediaFetchFailure.Timeout, failure.Reason);
        Assert.Contains("InCallMessaging:Media:Timeout", failure.Message, StringComparison.Ordinal);
        Assert.Empty(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task Bytes_whose_sha256_is_not_the_declared_one_are_not_returned()
    {
        await using var host = await StartAsync();
        var other = Convert.ToBase64String(SHA256.HashData("another file"u8));
        host.Graph.WithMedia("8888", new StandInMedia(Photo(3_000), "image/jpeg") { Sha256 = other });

        var failure = await FetchFailsAsync(host, GraphMedia(host, "8888"));

        Assert.Equal(ReplyMediaFetchFailure.HttpError, failure.Reason);
        Assert.Contains("SHA-256", failure.Message, StringComparison.Ordinal);
        Assert.Single(host.Graph.DownloadRequests);
    }

    [Fact]
    public async Task A_sha256_in_base64_as_the_webhook_writes_it_is_verified_too()
    {
        await using var host = await StartAsync();
        var photo = Photo(3_000);
        host.Graph.WithMedia("8889", new StandInMedia(photo, "image/jpeg") { Sha256 = Convert.ToBase64String(SHA256.HashData(photo)) });

        var fetched = await host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(GraphMedia(host, "8889"));

        Assert.Equal(photo, fetched.Content.ToArray());
    }

    [Fact]
    public async Task A_url_that_is_not_a_media_object_goes_to_the_plugins_fetcher_without_the_token()
    {
        await using var host = await StartAsync();
        var photo = Photo(1_500);
        host.Graph.WithMedia("9999", new StandInMedia(photo, "image/png"));
        // On the Graph host itself, but not a media object's URL: a plain URL, fetched as before.
        var plain = new InboundMedia(new Uri(host.Graph.BaseUrl, "/whatsapp_business/attachments/9999"), "image/png");

        var fetched = await host.Services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(plain);

        Assert.Equal(photo, fetched.Content.ToArray());
        Assert.Equal(plain.Url, fetched.Url);
        Assert.Empty(host.Graph.MediaObjectRequests);
        Assert.Equal("", Assert.Single(host.Graph.DownloadRequests).Authorization);
    }

    [Fact]
    public void A_fetcher_the_application_registered_is_left_to_fetch_every_url()
    {
        var services = new ServiceCollection();
        var own = new OwnFetcher();
        services.AddSingleton<IReplyMediaFetcher>(own);
        services.AddInCallMessaging(_ => { });
        services.AddInCallMessagingMetaWhatsApp(o => o.AccessToken = MetaTestHost.AccessToken);

        using var provider = services.BuildServiceProvider();

        Assert.Same(own, provider.GetRequiredService<IReplyMediaFetcher>());
    }

    [Fact]
    public async Task Registered_before_the_plugin_Meta_media_are_still_fetched_with_the_token()
    {
        await using var graph = await MetaGraphStandIn.StartAsync();
        var photo = Photo(1_200);
        graph.WithMedia("1212", new StandInMedia(photo, "image/jpeg"));
        var services = new ServiceCollection();
        services.AddInCallMessagingMetaWhatsApp(o => (o.AccessToken, o.ApiBaseUrl) = (MetaTestHost.AccessToken, graph.BaseUrl));
        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = "+15005550006" };
            o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." });
        });
        await using var provider = services.BuildServiceProvider();

        var fetcher = Assert.Single(provider.GetServices<IReplyMediaFetcher>());
        var fetched = await fetcher.FetchAsync(new InboundMedia(new Uri(graph.BaseUrl, "/v24.0/1212"), "image/jpeg"));

        Assert.Equal(photo, fetched.Content.ToArray());
        Assert.Equal(Bearer, Assert.Single(graph.MediaObjectRequests).Authorization);
        Assert.Equal(Bearer, Assert.Single(graph.DownloadRequests).Authorization);
    }

    private sealed class OwnFetcher : IReplyMediaFetcher
    {
        public Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("Not called by this test.");
    }
}
