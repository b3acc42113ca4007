using System.Buffers;
using InCallMessaging.Twilio.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace InCallMessaging.AspNetCore.Internal;

/// <summary>
/// Reads a webhook body, once, bounded by <see cref="WebhookOptions.MaxBodyBytes"/>: from the request's pipe into a
/// pooled array, which becomes a <see cref="FormLease"/> (a form) or is copied out (any other body).
/// </summary>
internal static class WebhookBodyReader
{
    private const string FormContentType = "application/x-www-form-urlencoded";

    /// <summary>Whether the request declares a form body.</summary>
    public static bool IsForm(HttpRequest request) =>
        // Twilio's exact header first: no header parsing on every webhook.
        string.Equals(request.ContentType, FormContentType, StringComparison.OrdinalIgnoreCase)
        || string.Equals(request.ContentType, FormContentType + "; charset=utf-8", StringComparison.OrdinalIgnoreCase)
        || HasMediaType(request, FormContentType);

    /// <summary>Whether the request declares a JSON body (<c>application/json</c> or <c>application/*+json</c>).</summary>
    public static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.MediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && type.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The problem with a request whose body is not a form.</summary>
    public static string NotAForm(HttpRequest request) =>
        $"Content-Type must be '{FormContentType}' (got '{Describe(request.ContentType)}').";

    /// <summary>The declared content type for a message, cut short: it is client input headed for logs.</summary>
    public static string Describe(string? contentType) =>
        string.IsNullOrEmpty(contentType) ? "none" : contentType.Length <= 100 ? contentType : contentType[..100] + "...";

    /// <summary>
    /// Reads and decodes a form body (the caller checked <see cref="IsForm"/>): no lease and a problem when the body is
    /// larger than <paramref name="maxBytes"/> (413) or not a UTF-8 form (400). The caller disposes the lease.
    /// </summary>
    public static async ValueTask<(FormLease? Form, WebhookProblem? Problem)> ReadFormAsync(HttpContext context, long maxBytes)
    {
        var (body, length, problem) = await ReadPooledAsync(context, maxBytes);
        if (body is null)
        {
            return (null, problem);
        }

        return FormLease.TryDecode(body, length, out var lease, out var notAForm)
            ? (lease, null)
            : (null, new WebhookProblem(StatusCodes.Status400BadRequest, $"The form body could not be parsed: {notAForm}"));
    }

    /// <summary>Reads the raw body into an array of its own; no body and a problem (413) when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async ValueTask<(byte[]? Body, WebhookProblem? Problem)> ReadBytesAsync(HttpContext context, long maxBytes)
    {
        var (pooled, length, problem) = await ReadPooledAsync(context, maxBytes);
        if (pooled is null)
        {
            return (null, problem);
        }

        var body = pooled.AsSpan(0, length).ToArray();
        BodyPool.Return(pooled, length);
        return (body, null);
    }

    /// <summary>
    /// Reads the whole body from the request's pipe into an array from <see cref="BodyPool"/>, which the caller owns;
    /// no array and a problem (413) when the body is larger than <paramref name="maxBytes"/>.
    /// </summary>
    private static async ValueTask<(byte[]? Body, int Length, WebhookProblem? Problem)> ReadPooledAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        var declared = request.ContentLength;
        if (declared > maxBytes)
        {
            return (null, 0, TooLarge(maxBytes));
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            var buffer = result.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return (null, 0, TooLarge(maxBytes));
            }

            if (result.IsCompleted || buffer.Length == declared)
            {
                var length = (int)buffer.Length;
                var body = BodyPool.Rent(length);
                buffer.CopyTo(body);
                reader.AdvanceTo(buffer.End);
                return (body, length, null);
            }

            // Not all of it yet: look at everything, consume nothing, and wait for more.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool HasMediaType(HttpRequest request, string mediaType) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    private static WebhookProblem TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the {maxBytes}-byte limit.");
}
