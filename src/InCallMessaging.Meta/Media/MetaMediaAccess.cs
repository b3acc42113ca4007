using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>
/// Meta's access to the media of WhatsApp messages received through its Cloud API. An attachment is a media object's
/// Graph URL, <c>{ApiBaseUrl}/{version}/{media-id}</c>, and takes two requests, both with the access token:
/// <c>GET /{version}/{media-id}</c> (here) answers <c>url</c>, <c>mime_type</c>, <c>sha256</c> and <c>file_size</c>,
/// checked against the limits before the download; <c>GET url</c>, made by the plugin's fetcher, answers the bytes, whose
/// SHA-256 is checked after. The token goes only to the Graph host configured and to Meta's media host, never to another
/// host or redirect target; any other URL is not Meta's and is fetched without it.
/// </summary>
internal sealed class MetaMediaAccess : IReplyMediaAccess
{
    /// <summary>The most bytes of Graph's answer read (a media object is a few hundred bytes).</summary>
    private const int MaxGraphAnswerBytes = 64 * 1024;

    private const string TokenSetting = MetaWhatsAppOptions.SectionName + ":AccessToken";
    private const string MediaSettings = "InCallMessaging:Media";
    private const int InvalidParameterSubcodeNotFound = 33;

    private readonly IOptionsMonitor<MetaWhatsAppOptions> _meta;
    private readonly ILogger _logger;

    /// <param name="meta">The access token and the Graph host, read per fetch.</param>
    /// <param name="logger">Where failures are logged.</param>
    public MetaMediaAccess(IOptionsMonitor<MetaWhatsAppOptions> meta, ILogger logger)
    {
        _meta = meta;
        _logger = logger;
    }

    public bool Owns(Uri url) => MetaMediaUrls.TryGetMediaId(url, _meta.CurrentValue, out _);

    public AuthenticationHeaderValue? AuthorizationFor(Uri url) => MetaMediaUrls.Credentials(url, _meta.CurrentValue);

    public async Task<ReplyMediaDownload?> ResolveAsync(InboundMedia media, ReplyMediaOptions limits, HttpClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(media);
        ArgumentNullException.ThrowIfNull(limits);
        var options = _meta.CurrentValue;
        if (!MetaMediaUrls.TryGetMediaId(media.Url, options, out var mediaId))
        {
            return null;
        }

        var declared = ReplyMedia.SanitizeContentType(media.ContentType);
        if (!limits.Allows(declared))
        {
            throw Failed(ReplyMediaFetchFailure.ContentTypeNotAllowed, NotAllowed(mediaId, declared, "the webhook declared"));
        }

        MetaMediaObject item;
        try
        {
            item = await ReadMediaObjectAsync(client, media.Url, mediaId, options, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw Failed(ReplyMediaFetchFailure.HttpError, $"Media {mediaId} could not be fetched from Meta's Graph API at '{Describe(media.Url)}': {ex.Message}", inner: ex);
        }

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

        return new Download(this, item.DownloadUrl, contentType, mediaId, item.Sha256);
    }

    /// <summary>The first request: the media object, read within <see cref="MaxGraphAnswerBytes"/>. Redirects are not followed.</summary>
    private async Task<MetaMediaObject> ReadMediaObjectAsync(HttpClient client, Uri graphUrl, string mediaId, MetaWhatsAppOptions options, CancellationToken cancellationToken)
    {
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

    /// <summary>The second request, made by the plugin's fetcher: its bytes must have the SHA-256 Meta declared, and a refusal of the token is reported as the token's.</summary>
    private sealed class Download(MetaMediaAccess access, Uri url, string contentType, string mediaId, byte[]? sha256)
        : ReplyMediaDownload(url, contentType)
    {
        public override void Verify(ReadOnlySpan<byte> content)
        {
            if (sha256 is { } expected && !SHA256.HashData(content).AsSpan().SequenceEqual(expected))
            {
                throw access.Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                    $"Media {mediaId} was downloaded ({content.Length} bytes) but its SHA-256 is not the one Meta declared: the download was cut short or altered; fetch it again."));
            }
        }

        public override ReplyMediaFetchException Explain(ReplyMediaFetchException failure) =>
            failure.Reason == ReplyMediaFetchFailure.HttpError && failure.StatusCode is 401 or 403
                ? access.Failed(ReplyMediaFetchFailure.HttpError, string.Create(CultureInfo.InvariantCulture,
                    $"Meta's media host refused the download of media {mediaId} (HTTP {failure.StatusCode}): the download URL lives about 5 minutes and needs a valid {TokenSetting}; renew the token if it expired, then fetch again."),
                    failure.StatusCode, failure)
                : failure;
    }
}
