using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>
/// The plugin's <see cref="IReplyMediaFetcher"/> and the providers' <see cref="IReplyMediaAccess"/>: an attachment gets
/// the credentials of the provider that owns its URL, at each hop on that provider's hosts only, and none when no
/// provider owns it; a provider that resolves its URLs first has its download fetched within the same limits, checked
/// and explained by it. The reply-media client's network handler stands in for the media hosts and records each request.
/// </summary>
public sealed class ReplyMediaAccessTests
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x01];

    private static ServiceProvider Build(FakeMediaHosts network, params IReplyMediaAccess[] accesses)
    {
        var services = new ServiceCollection();
        foreach (var access in accesses)
        {
            services.AddSingleton(access);
        }

        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = "+15005550006" };
            o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." });
        });
        services.AddHttpClient(HttpReplyMediaFetcher.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => network);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task An_attachment_gets_its_owners_credentials_on_the_owners_hosts_only()
    {
        var network = new FakeMediaHosts { Redirects = { ["a.example"] = new Uri("https://b.example/cdn/1") } };
        await using var services = Build(network, new HostAccess("a.example", "A"), new HostAccess("b.example", "B"));

        var fetched = await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(new Uri("https://a.example/media/1"), "image/jpeg"));

        Assert.Equal(Jpeg, fetched.Content.ToArray());
        Assert.Equal(new Uri("https://a.example/media/1"), fetched.Url);
        Assert.Collection(network.Requests,
            owner => Assert.Equal(("a.example", "Bearer A"), owner),
            redirect => Assert.Equal(("b.example", ""), redirect));
    }

    [Fact]
    public async Task An_attachment_no_provider_owns_gets_no_credentials_even_on_a_providers_host()
    {
        var network = new FakeMediaHosts { Redirects = { ["files.example"] = new Uri("https://a.example/media/2") } };
        await using var services = Build(network, new HostAccess("a.example", "A"));

        await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(new Uri("https://files.example/photo.jpg"), "image/jpeg"));

        Assert.Collection(network.Requests,
            plain => Assert.Equal(("files.example", ""), plain),
            redirect => Assert.Equal(("a.example", ""), redirect));
    }

    [Fact]
    public async Task A_resolved_attachment_is_downloaded_from_where_its_owner_points_and_keeps_the_url_the_reply_gave()
    {
        var network = new FakeMediaHosts();
        var access = new ResolvingAccess(new Uri("https://cdn.c.example/bytes/7"));
        await using var services = Build(network, access);
        var media = new InboundMedia(new Uri("https://c.example/ref/7"), "image/jpeg");

        var fetched = await services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(media);

        Assert.Equal(Jpeg, fetched.Content.ToArray());
        Assert.Equal(media.Url, fetched.Url);
        Assert.Equal(media, Assert.Single(access.Resolved));
        Assert.Equal(Jpeg, access.Verified.Single());
        Assert.Equal(("cdn.c.example", "Bearer C"), Assert.Single(network.Requests));
    }

    [Fact]
    public async Task A_resolved_download_is_held_to_the_limits_and_its_failure_explained_by_the_owner()
    {
        var network = new FakeMediaHosts { Statuses = { ["cdn.c.example"] = HttpStatusCode.Unauthorized } };
        await using var services = Build(network, new ResolvingAccess(new Uri("https://cdn.c.example/bytes/8")));
        var fetcher = services.GetRequiredService<IReplyMediaFetcher>();

        var refused = await Assert.ThrowsAsync<ReplyMediaFetchException>(() => fetcher.FetchAsync(new InboundMedia(new Uri("https://c.example/ref/8"), "image/jpeg")));
        var notAllowed = await Assert.ThrowsAsync<ReplyMediaFetchException>(() => fetcher.FetchAsync(new InboundMedia(new Uri("https://c.example/ref/9"), "text/html")));

        Assert.Equal(ReplyMediaFetchFailure.HttpError, refused.Reason);
        Assert.Equal(401, refused.StatusCode);
        Assert.StartsWith("C explains:", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ReplyMediaFetchFailure.ContentTypeNotAllowed, notAllowed.Reason);
        Assert.Single(network.Requests);
    }

    [Fact]
    public async Task Bytes_the_owner_rejects_are_not_returned()
    {
        var network = new FakeMediaHosts();
        await using var services = Build(network, new ResolvingAccess(new Uri("https://cdn.c.example/bytes/10")) { Rejects = true });

        var failure = await Assert.ThrowsAsync<ReplyMediaFetchException>(() =>
            services.GetRequiredService<IReplyMediaFetcher>().FetchAsync(new InboundMedia(new Uri("https://c.example/ref/10"), "image/jpeg")));

        Assert.Equal("C rejects 5 bytes", failure.Message);
    }

    /// <summary>Owns the URLs on one host, with a bearer token for that host.</summary>
    private sealed class HostAccess(string host, string token) : IReplyMediaAccess
    {
        public bool Owns(Uri url) => url.Host == host;

        public AuthenticationHeaderValue? AuthorizationFor(Uri url) => url.Host == host ? new AuthenticationHeaderValue("Bearer", token) : null;
    }

    /// <summary>Owns <c>c.example</c>, whose URLs are references: each resolves to one download URL on <c>cdn.c.example</c>.</summary>
    private sealed class ResolvingAccess(Uri download) : IReplyMediaAccess
    {
        public List<InboundMedia> Resolved { get; } = [];

        public List<byte[]> Verified { get; } = [];

        public bool Rejects { get; init; }

        public bool Owns(Uri url) => url.Host == "c.example";

        public AuthenticationHeaderValue? AuthorizationFor(Uri url) =>
            url.Host is "c.example" or "cdn.c.example" ? new AuthenticationHeaderValue("Bearer", "C") : null;

        public Task<ReplyMediaDownload?> ResolveAsync(InboundMedia media, ReplyMediaOptions limits, HttpClient client, CancellationToken cancellationToken)
        {
            Resolved.Add(media);
            return Task.FromResult<ReplyMediaDownload?>(new Download(this, download, media.ContentType));
        }

        private sealed class Download(ResolvingAccess access, Uri url, string contentType) : ReplyMediaDownload(url, contentType)
        {
            public override void Verify(ReadOnlySpan<byte> content)
            {
                access.Verified.Add(content.ToArray());
                if (access.Rejects)
                {
                    throw new ReplyMediaFetchException(ReplyMediaFetchFailure.HttpError, $"C rejects {content.Length} bytes");
                }
            }

            public override ReplyMediaFetchException Explain(ReplyMediaFetchException failure) =>
                new(failure.Reason, "C explains: " + failure.Message, failure.StatusCode, failure);
        }
    }

    /// <summary>Records (host, Authorization) of each request; a host in <see cref="Redirects"/> answers 302, one in <see cref="Statuses"/> that status, any other a JPEG.</summary>
    private sealed class FakeMediaHosts : HttpMessageHandler
    {
        private readonly List<(string Host, string Authorization)> _requests = [];

        public Dictionary<string, Uri> Redirects { get; } = [];

        public Dictionary<string, HttpStatusCode> Statuses { get; } = [];

        public IReadOnlyList<(string Host, string Authorization)> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!;
            lock (_requests)
            {
                _requests.Add((url.Host, request.Headers.Authorization?.ToString() ?? ""));
            }

            if (Redirects.TryGetValue(url.Host, out var target))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = target } });
            }

            if (Statuses.TryGetValue(url.Host, out var status))
            {
                return Task.FromResult(new HttpResponseMessage(status));
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Jpeg) };
            response.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            return Task.FromResult(response);
        }
    }
}
