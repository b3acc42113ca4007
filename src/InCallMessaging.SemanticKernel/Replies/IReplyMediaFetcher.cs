namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Downloads an attachment of a caller's reply (<see cref="InboundMessage.Media"/>, <see cref="CallMessage.Media"/>),
/// for hosts that pass images or documents to a model. Bounded by <see cref="ReplyMediaOptions"/>: the content type must
/// be allowed and the size within <see cref="ReplyMediaOptions.MaxBytes"/>. The plugin's one registered by
/// <c>AddInCallMessaging</c> and by each provider (whichever comes first) fetches a provider's media URLs with that
/// provider's credentials (the Twilio account's, Meta's access token) on its hosts only, and any other URL without credentials.
/// </summary>
public interface IReplyMediaFetcher
{
    /// <summary>Downloads <paramref name="media"/>.</summary>
    /// <param name="media">An attachment of a received reply.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The bytes and their content type.</returns>
    /// <exception cref="ReplyMediaFetchException">The attachment is not allowed, too large, or could not be downloaded; <see cref="ReplyMediaFetchException.Reason"/> says which.</exception>
    Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default);
}

/// <summary>A downloaded attachment.</summary>
/// <param name="Url">The attachment's URL, as the reply gave it (before any redirect).</param>
/// <param name="ContentType">Its content type (<c>type/subtype</c>): the one the media server answered with, else the declared one.</param>
/// <param name="Content">Its bytes, at most <see cref="ReplyMediaOptions.MaxBytes"/>.</param>
public sealed record FetchedMedia(Uri Url, string ContentType, ReadOnlyMemory<byte> Content)
{
    /// <summary>The size in bytes.</summary>
    public int Length => Content.Length;
}

/// <summary>Why an attachment was not downloaded.</summary>
public enum ReplyMediaFetchFailure
{
    /// <summary>The URL (or a redirect's target) is not absolute http(s), carries user info, or goes from https to http.</summary>
    UrlNotAllowed,

    /// <summary>The declared or served content type is not in <see cref="ReplyMediaOptions.AllowedContentTypes"/>.</summary>
    ContentTypeNotAllowed,

    /// <summary>The attachment is larger than <see cref="ReplyMediaOptions.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>The media server answered with an error status, or could not be reached.</summary>
    HttpError,

    /// <summary>More redirects than allowed.</summary>
    TooManyRedirects,

    /// <summary>The download took longer than <see cref="ReplyMediaOptions.Timeout"/>.</summary>
    Timeout,
}

/// <summary>An attachment could not be downloaded; the message names the limit or the answer and the fix.</summary>
public sealed class ReplyMediaFetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why it failed.</param>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="statusCode">The HTTP status the media server answered with, if that was the problem.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ReplyMediaFetchException(ReplyMediaFetchFailure reason, string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        StatusCode = statusCode;
    }

    /// <summary>Why it failed.</summary>
    public ReplyMediaFetchFailure Reason { get; }

    /// <summary>The HTTP status the media server answered with (for <see cref="ReplyMediaFetchFailure.HttpError"/>).</summary>
    public int? StatusCode { get; }
}
