using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>
/// Downloads the media of WhatsApp messages received through Meta's Cloud API, and hands every other URL to the fetcher
/// it wraps. A media object's Graph URL takes two requests, both with the access token: <c>GET /{version}/{media-id}</c>
/// answers <c>url</c>, <c>mime_type</c>, <c>sha256</c> and <c>file_size</c>; <c>GET url</c> answers the bytes. The
/// second is made by the plugin's own fetcher, so its limits, redirect rules and credentials per hop apply unchanged;
/// the token goes only to the Graph host configured and to Meta's media host.
/// </summary>
internal sealed class MetaReplyMediaFetcher : IReplyMediaFetcher
{
    /// <summary>The most bytes of Graph's answer read (a media object is a few hundred bytes).</summary>
    private const int MaxGraphAnswerBytes = 64 * 1024;

    private const string TokenSetting = MetaWhatsAppOptions.SectionName + ":AccessToken";
    private const string MediaSettings = "InCallMessaging:Media";
    private const int InvalidParameterSubcodeNotFound = 33;

    private readonly IReplyMediaFetcher _inner;
    private readonly HttpReplyMediaFetcher _download;
    private readonly IHttpClientFactory _httpClients;
    private readonly IOptionsMonitor<MetaWhatsAppOptions> _meta;
    private readonly Func<ReplyMediaOptions> _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="inner">Fetches every URL that is not a Meta media object's (Twilio's media, plain URLs).</param>
    /// <param name="httpClients">Creates the plugin's reply-media client (no automatic redirects).</param>
    /// <param name="meta">The access token and the Graph host, read per fetch.</param>
    /// <param name="limits">The limits in force, read per fetch.</param>
    /// <param name="time">The clock of the timeout.</param>
    /// <param name="logger">Where failures are logged.</param>
    public MetaReplyMediaFetcher(IReplyMediaFetcher inner, IHttpClientFactory httpClients, IOptionsMonitor<MetaWhatsAppOptions> meta,
        Func<ReplyMediaOptions> limits, TimeProvider time, ILogger logger)
    {
        _inner = inner;
        _httpClients = httpClients;
        _meta = meta;
        _limits = limits;
        _time = time;
        _logger = logger;
        _download = new HttpReplyMediaFetcher(httpClients, limits, url => MetaMediaUrls.Credentials(url, meta.CurrentValue), time, logger);
    }

    public Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(media);
        var options = _meta.CurrentValue;
        return media.Url is { } url && MetaMediaUrls.TryGetMediaId(url, options, out var mediaId)
            ? FetchFromMetaAsync(media, mediaId, options, cancellationToken)
            : _inner.FetchAsync(media, cancellationToken);
    }

    private async Task<FetchedMedia> FetchFromMetaAsync(InboundMedia media, string mediaId, MetaWhatsAppOptions options, CancellationToken cancellationToken)
    {
        var limits = _limits();
        var declared = ReplyMedia.SanitizeContentType(media.ContentType);
        if (!limits.Allows(declared))
        {
            throw Failed(ReplyMediaFetchFailure.ContentTypeNotAllowed, NotAllowed(mediaId, declared, "the webhook declared"));
        }

        // One deadline for both requests.
        using var timeout = new CancellationTokenSource(limits.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var item = await ReadMediaObjectAsync(media.Url, mediaId, options, linked.Token).ConfigureAwait(false);
            var contentType = item.MimeType is null ? declared : ReplyMedia.SanitizeContentType(item.MimeType);
            if (!limits.Allows(contentType))
            {
                throw Failed(ReplyMediaFetchFailure.ContentTypeNotAllowed, NotAllowed(mediaId, contentType, "Meta declared"));
            }

            if (item.FileSize is { } size && size > limits.MaxBytes)
            {
                throw Failed(ReplyMediaFetchFailure.TooLarge, string.Create(CultureInfo.InvariantCulture,
                    $"Media {mediaId} is {size} bytes (Meta's file_size), more than {MediaSettings}:MaxBytes ({limits.MaxBytes} bytes) allows; raise MaxBytes to fetch it."));
            }

            if (!MetaMediaUrls.IsAllowedDownloadUrl(item.DownloadUrl, options))
            {
                throw Failed(ReplyMediaFetchFailure.UrlNotAllowed,
                    $"Meta answered media {mediaId} with a download URL that is not https ('{Describe(item.DownloadUrl)}'); it is not fetched.");
            }

            var fetched = await DownloadAsync(item, contentType, mediaId, linked.Token).ConfigureAwait(false);
            if (item.Sha256 is { } expected && !SHA256.HashData(fetched.Content.Span).AsSpan().SequenceEqual(expected))
            {
                throw Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                    $"Media {mediaId} was downloaded ({fetched.Length} bytes) but its SHA-256 is not the one Meta declared: the download was cut short or altered; fetch it again."));
            }

            return fetched with { Url = media.Url };
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Failed(ReplyMediaFetchFailure.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"Media {mediaId} took longer than {MediaSettings}:Timeout ({limits.Timeout}) to fetch from Meta (both requests); raise Timeout if Meta is slow."), inner: ex);
        }
        catch (HttpRequestException ex)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, $"Media {mediaId} could not be fetched from Meta's Graph API at '{Describe(media.Url)}': {ex.Message}", inner: ex);
        }
    }

    /// <summary>The first request: the media object, read within <see cref="MaxGraphAnswerBytes"/>. Redirects are not followed.</summary>
    private async Task<MetaMediaObject> ReadMediaObjectAsync(Uri graphUrl, string mediaId, MetaWhatsAppOptions options, CancellationToken cancellationToken)
    {
        var client = _httpClients.CreateClient(HttpReplyMediaFetcher.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, graphUrl);
        request.Headers.Authorization = MetaMediaUrls.Credentials(graphUrl, options);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var body = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw GraphRefused(mediaId, (int)response.StatusCode, body is null ? default : MetaMediaObject.ReadError(body));
        }

        if (body is null)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                $"Meta's answer for media {mediaId} is larger than {MaxGraphAnswerBytes} bytes: it is not a media object; check {MetaWhatsAppOptions.SectionName}:ApiBaseUrl."));
        }

        return MetaMediaObject.TryParse(body, out var item, out var problem)
            ? item!
            : throw Failed(ReplyMediaFetchFailure.HttpError,
                $"Meta's answer for media {mediaId} is not a media object ({problem}); check {MetaWhatsAppOptions.SectionName}:ApiBaseUrl and GraphApiVersion.");
    }

    /// <summary>The second request, by the plugin's fetcher; a refusal of the token there is reported as the token's.</summary>
    private async Task<FetchedMedia> DownloadAsync(MetaMediaObject item, string contentType, string mediaId, CancellationToken cancellationToken)
    {
        try
        {
            return await _download.FetchAsync(new InboundMedia(item.DownloadUrl, contentType), cancellationToken).ConfigureAwait(false);
        }
        catch (ReplyMediaFetchException ex) when (ex.Reason == ReplyMediaFetchFailure.HttpError && ex.StatusCode is 401 or 403)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                $"Meta's media host refused the download of media {mediaId} (HTTP {ex.StatusCode}): the download URL lives about 5 minutes and needs a valid {TokenSetting}; renew the token if it expired, then fetch again."),
                ex.StatusCode, ex);
        }
    }

    private ReplyMediaFetchException GraphRefused(string mediaId, int status, (int? Code, int? Subcode) error)
    {
        var code = error.Code is { } c ? string.Create(CultureInfo.InvariantCulture, $", error {c}") : "";
        if (status is 401 or 403 || error.Code == MetaErrors.AccessTokenExpired)
        {
            return Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                $"Meta refused the access token reading media {mediaId} (HTTP {status}{code}): set {TokenSetting} to a valid system user token with the whatsapp_business_messaging permission (an expired one must be renewed)."),
                status);
        }

        if (status == 404 || (error.Code == MetaErrors.InvalidParameter && error.Subcode == InvalidParameterSubcodeNotFound))
        {
            return Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                $"Meta has no media {mediaId} (HTTP {status}{code}): it was deleted or has expired, or it belongs to another business account than {TokenSetting}'s; ask the caller to send it again."),
                status);
        }

        return Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
            $"Meta answered HTTP {status}{code} for media {mediaId}; try again later."), status);
    }

    /// <summary>The body, or <see langword="null"/> when it is larger than <see cref="MaxGraphAnswerBytes"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxGraphAnswerBytes)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxGraphAnswerBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return total > MaxGraphAnswerBytes ? null : buffer[..total];
        }
    }

    private static string NotAllowed(string mediaId, string contentType, string who) =>
        $"Media {mediaId} is '{contentType}' ({who}), which is not fetched: add it to {MediaSettings}:AllowedContentTypes (or its family, such as '{contentType.Split('/')[0]}/*').";

    /// <summary>The URL without its query (a download URL's query is a credential) for messages and logs.</summary>
    private static string Describe(Uri url) => url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Path) : url.OriginalString;

    private ReplyMediaFetchException Failed(ReplyMediaFetchFailure reason, string message, int? status = null, Exception? inner = null)
    {
        _logger.LogWarning("Meta reply media not fetched ({Reason}): {Problem}", reason, message);
        return new ReplyMediaFetchException(reason, message, status, inner);
    }
}
