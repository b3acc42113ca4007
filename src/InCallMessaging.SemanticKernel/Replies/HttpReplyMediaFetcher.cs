using System.Globalization;
using System.Net;
using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Downloads reply attachments over HTTP within <see cref="ReplyMediaOptions"/>. The provider that owns an attachment's
/// URL (its <see cref="IReplyMediaAccess"/>) gives the credentials and, when its URL is a lookup, the download URL; an
/// attachment no provider owns is downloaded without credentials. Redirects are followed here, not by the handler, so
/// each hop decides for itself whether it gets the owner's credentials: a provider's media URL may need them, the CDN
/// it redirects to must never see them.
/// </summary>
internal sealed class HttpReplyMediaFetcher : IReplyMediaFetcher
{
    /// <summary>The named <see cref="HttpClient"/> it uses (automatic redirects off).</summary>
    public const string HttpClientName = "InCallMessaging.ReplyMedia";

    private const int MaxRedirects = 5;
    private const string OptionsPath = "InCallMessaging:Media";

    private readonly IHttpClientFactory _httpClients;
    private readonly Func<ReplyMediaOptions> _options;
    private readonly IReadOnlyList<IReplyMediaAccess> _accesses;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="httpClients">Creates the <see cref="HttpClientName"/> client.</param>
    /// <param name="options">The limits in force (read per fetch, so reloads apply).</param>
    /// <param name="accesses">The providers' accesses to their attachments.</param>
    /// <param name="time">The clock of the timeout.</param>
    /// <param name="logger">Where failures are logged.</param>
    public HttpReplyMediaFetcher(IHttpClientFactory httpClients, Func<ReplyMediaOptions> options, IEnumerable<IReplyMediaAccess> accesses,
        TimeProvider time, ILogger logger)
    {
        _httpClients = httpClients;
        _options = options;
        _accesses = [.. accesses];
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Registers this fetcher as the <see cref="IReplyMediaFetcher"/> unless one is registered already (<c>TryAdd</c>),
    /// and its <see cref="HttpClientName"/> client once: no automatic redirects, the timeout kept by the fetcher. The
    /// plugin and every provider call it, in any order; each provider adds its <see cref="IReplyMediaAccess"/> beside it.
    /// </summary>
    public static void Register(IServiceCollection services)
    {
        services.TryAddSingleton<IReplyMediaFetcher>(static sp =>
        {
            // The running configuration's limits (a reload takes effect once validated, an invalid one never does);
            // without the plugin registered (a provider alone), the configured ones.
            var configured = sp.GetRequiredService<IOptionsMonitor<InCallMessagingOptions>>();
            var running = new Lazy<RunningActions?>(sp.GetService<RunningActions>);
            return new HttpReplyMediaFetcher(sp.GetRequiredService<IHttpClientFactory>(),
                () => (running.Value is { } actions ? actions.Current.Options.Media : configured.CurrentValue.Media) ?? new(),
                sp.GetServices<IReplyMediaAccess>(), sp.GetService<TimeProvider>() ?? TimeProvider.System,
                sp.GetService<ILoggerFactory>()?.CreateLogger<IReplyMediaFetcher>() ?? NullLogger<IReplyMediaFetcher>.Instance);
        });

        if (services.Any(static d => d.ServiceType == typeof(HttpClientMarker)))
        {
            return;
        }

        services.AddSingleton<HttpClientMarker>();
        services.AddHttpClient(HttpClientName, static client => client.Timeout = System.Threading.Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
    }

    public async Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(media);
        var options = _options();
        if (!ReplyMedia.IsSafeUrl(media.Url))
        {
            throw Failed(ReplyMediaFetchFailure.UrlNotAllowed, $"Media URL '{Describe(media.Url)}' is not an absolute http(s) URL without user info; it is not fetched.");
        }

        var owner = OwnerOf(media.Url);
        using var timeout = new CancellationTokenSource(options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var client = _httpClients.CreateClient(HttpClientName);
        var url = media.Url;
        try
        {
            var resolved = owner is null ? null : await owner.ResolveAsync(media, options, client, linked.Token).ConfigureAwait(false);
            var expected = resolved?.ContentType ?? ReplyMedia.SanitizeContentType(media.ContentType);
            if (!options.Allows(expected))
            {
                throw Failed(ReplyMediaFetchFailure.ContentTypeNotAllowed, NotAllowed(expected, "declared"));
            }

            url = resolved?.Url ?? media.Url;
            if (resolved is not null && !ReplyMedia.IsSafeUrl(url))
            {
                throw Failed(ReplyMediaFetchFailure.UrlNotAllowed, $"Media URL '{Describe(url)}' is not an absolute http(s) URL without user info; it is not fetched.");
            }

            FetchedMedia? fetched = null;
            try
            {
                for (var hop = 0; fetched is null; hop++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.Authorization = owner?.AuthorizationFor(url);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                    if (IsRedirect(response.StatusCode))
                    {
                        url = NextHop(url, response, hop);
                        continue;
                    }

                    fetched = await ReadAsync(response, url, expected, options, linked.Token).ConfigureAwait(false);
                }
            }
            catch (ReplyMediaFetchException ex) when (resolved is not null)
            {
                var explained = resolved.Explain(ex);
                if (ReferenceEquals(explained, ex))
                {
                    throw;
                }

                throw explained;
            }

            resolved?.Verify(fetched.Content.Span);
            return fetched with { Url = media.Url };
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Failed(ReplyMediaFetchFailure.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"Media at '{Describe(url)}' took longer than {OptionsPath}:Timeout ({options.Timeout}); raise Timeout if the media server is slow."), inner: ex);
        }
        catch (HttpRequestException ex)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, $"Media at '{Describe(url)}' could not be fetched: {ex.Message}", inner: ex);
        }
    }

    /// <summary>The provider whose attachment <paramref name="url"/> is, or <see langword="null"/> when it is no provider's.</summary>
    private IReplyMediaAccess? OwnerOf(Uri url)
    {
        foreach (var access in _accesses)
        {
            if (access.Owns(url))
            {
                return access;
            }
        }

        return null;
    }

    /// <summary>The bytes of a final (not redirecting) answer, within the content types and the size allowed.</summary>
    private async Task<FetchedMedia> ReadAsync(HttpResponseMessage response, Uri url, string expected, ReplyMediaOptions options, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            throw Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                $"Media at '{Describe(url)}' answered HTTP {status}{(status is 401 or 403 ? ": the media URL needs the provider's credentials (register the provider, e.g. AddInCallMessagingTwilio, with its account credentials)" : "")}."), status);
        }

        var served = response.Content.Headers.ContentType?.MediaType is { } type ? ReplyMedia.SanitizeContentType(type) : ReplyMedia.UnknownContentType;
        var contentType = served == ReplyMedia.UnknownContentType ? expected : served;
        if (!options.Allows(contentType))
        {
            throw Failed(ReplyMediaFetchFailure.ContentTypeNotAllowed, NotAllowed(contentType, "served"));
        }

        if (response.Content.Headers.ContentLength is { } length && length > options.MaxBytes)
        {
            throw TooLarge(url, options.MaxBytes, length);
        }

        var content = await ReadBoundedAsync(response.Content, url, options.MaxBytes, cancellationToken).ConfigureAwait(false);
        return new FetchedMedia(url, contentType, content);
    }

    private Uri NextHop(Uri url, HttpResponseMessage response, int hop)
    {
        if (hop == MaxRedirects)
        {
            throw Failed(ReplyMediaFetchFailure.TooManyRedirects, string.Create(CultureInfo.InvariantCulture,
                $"Media at '{Describe(url)}' redirected more than {MaxRedirects} times; it is not fetched."));
        }

        if (response.Headers.Location is not { } location)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, $"Media at '{Describe(url)}' answered a redirect without a Location.", (int)response.StatusCode);
        }

        var next = location.IsAbsoluteUri ? location : new Uri(url, location);
        if (!ReplyMedia.IsSafeUrl(next) || (url.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps))
        {
            throw Failed(ReplyMediaFetchFailure.UrlNotAllowed, $"Media at '{Describe(url)}' redirected to '{Describe(next)}', which is not fetched (not https after https, or not an http(s) URL without user info).");
        }

        return next;
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> + 1 bytes: one more than allowed shows the content is too large.</summary>
    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpContent content, Uri url, long maxBytes, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[(int)Math.Min(content.Headers.ContentLength ?? 64 * 1024, maxBytes) + 1];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxBytes)
                    {
                        throw TooLarge(url, maxBytes, length: null);
                    }

                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                }

                var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return total > maxBytes ? throw TooLarge(url, maxBytes, length: null) : buffer.AsMemory(0, total);
                }

                total += read;
            }
        }
    }

    private ReplyMediaFetchException TooLarge(Uri url, long maxBytes, long? length) =>
        Failed(ReplyMediaFetchFailure.TooLarge, string.Create(CultureInfo.InvariantCulture,
            $"Media at '{Describe(url)}' is {(length is { } bytes ? $"{bytes} bytes, " : "")}more than {OptionsPath}:MaxBytes ({maxBytes} bytes) allows; raise MaxBytes to fetch it."));

    private static string NotAllowed(string contentType, string how) =>
        $"Media of {how} content type '{contentType}' is not fetched: add it to {OptionsPath}:AllowedContentTypes (or its family, such as '{contentType.Split('/')[0]}/*').";

    private ReplyMediaFetchException Failed(ReplyMediaFetchFailure reason, string message, int? status = null, Exception? inner = null)
    {
        _logger.LogWarning("Reply media not fetched ({Reason}): {Problem}", reason, message);
        return new ReplyMediaFetchException(reason, message, status, inner);
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>The URL without its query (a CDN's signed query is a credential) for messages and logs.</summary>
    private static string Describe(Uri? url) =>
        url is null ? "(none)" : url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Path) : url.OriginalString;

    /// <summary>Marks the named client as registered.</summary>
    private sealed class HttpClientMarker;
}
