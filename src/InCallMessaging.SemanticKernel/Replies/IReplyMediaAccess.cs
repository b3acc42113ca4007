using System.Net.Http.Headers;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A message provider's access to the attachments of the replies it delivers: which attachment URLs are its own, the
/// credentials each request for one of them gets, and, when its URLs point at a lookup rather than at the bytes, how
/// to find the bytes. Each provider adds one (<c>TryAddEnumerable</c>); the plugin's <see cref="IReplyMediaFetcher"/>
/// asks them all, so the order in which providers are registered does not matter.
/// </summary>
internal interface IReplyMediaAccess
{
    /// <summary>Whether <paramref name="url"/> is an attachment URL of this provider's. An attachment no provider owns is downloaded without credentials.</summary>
    /// <param name="url">The attachment's URL, as the reply gave it.</param>
    bool Owns(Uri url);

    /// <summary>
    /// The <c>Authorization</c> header for one request of an attachment this provider owns (the attachment URL, the URL
    /// it resolved to, or a redirect target), or <see langword="null"/> when <paramref name="url"/> is not on one of its
    /// hosts. Asked again at every hop, so a redirect to a foreign host never carries the credentials.
    /// </summary>
    /// <param name="url">The URL of the request about to be sent.</param>
    AuthenticationHeaderValue? AuthorizationFor(Uri url);

    /// <summary>
    /// Looks up where the bytes of <paramref name="media"/> (an attachment this provider owns) are, applying the limits
    /// it can before the download; <see langword="null"/> when its URL is the download itself (the default).
    /// Runs within the fetch's <see cref="ReplyMediaOptions.Timeout"/>.
    /// </summary>
    /// <param name="media">The attachment.</param>
    /// <param name="limits">The limits in force for this fetch.</param>
    /// <param name="client">The reply-media client (no automatic redirects).</param>
    /// <param name="cancellationToken">Cancels the lookup (the caller's token or the fetch's timeout).</param>
    /// <returns>What to download, or <see langword="null"/> to download <see cref="InboundMedia.Url"/> as it is.</returns>
    /// <exception cref="ReplyMediaFetchException">The lookup failed or the attachment is not allowed; the message names the fix.</exception>
    Task<ReplyMediaDownload?> ResolveAsync(InboundMedia media, ReplyMediaOptions limits, HttpClient client, CancellationToken cancellationToken) =>
        Task.FromResult<ReplyMediaDownload?>(null);
}

/// <summary>
/// Where the bytes of an attachment are, as its provider's <see cref="IReplyMediaAccess.ResolveAsync"/> found them.
/// The plugin downloads them within the same limits, with the provider's credentials per hop, then lets the provider
/// check them.
/// </summary>
/// <param name="url">The download URL.</param>
/// <param name="contentType">The content type expected (the provider's, else the declared one), used when the server answers none.</param>
internal class ReplyMediaDownload(Uri url, string contentType)
{
    /// <summary>The download URL.</summary>
    public Uri Url { get; } = url;

    /// <summary>The content type expected, used when the server answers none.</summary>
    public string ContentType { get; } = contentType;

    /// <summary>Checks the downloaded bytes (say against a hash the provider declared); throws a <see cref="ReplyMediaFetchException"/> when they are not the ones expected.</summary>
    /// <param name="content">The bytes downloaded.</param>
    public virtual void Verify(ReadOnlySpan<byte> content)
    {
    }

    /// <summary>The failure of the download as the provider explains it (say its token refused by its media host), or <paramref name="failure"/> itself.</summary>
    /// <param name="failure">Why the download failed.</param>
    public virtual ReplyMediaFetchException Explain(ReplyMediaFetchException failure) => failure;
}
