using System.Buffers;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace InCallMessaging.AspNetCore.Http;

/// <summary>
/// Reads a webhook body once, bounded by <see cref="WebhookOptions.MaxBodyBytes"/>, and caches it on the request so the
/// signature filter and the endpoint share it.
/// </summary>
internal static class WebhookRequestReader
{
    private const string FormContentType = "application/x-www-form-urlencoded";
    private static readonly object BodyKey = new();
    private static readonly object FormKey = new();

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

    /// <summary>Reads the raw body; no body and a problem (413) when it is larger than <paramref name="maxBytes"/>.</summary>
    /// <param name="context">The request's context.</param>
    /// <param name="maxBytes">The largest body accepted.</param>
    /// <param name="share">
    /// Whether what runs next may read the body again: it is then cached on the request and <see cref="HttpRequest.Body"/>
    /// is replaced by a stream over it.
    /// </param>
    public static async ValueTask<(byte[]? Body, WebhookProblem? Problem)> ReadBodyAsync(HttpContext context, long maxBytes, bool share = true)
    {
        if (share && context.Items.TryGetValue(BodyKey, out var cached) && cached is byte[] body)
        {
            return (body, null);
        }

        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        if (request.ContentLength is { } declared)
        {
            // The usual case (Twilio sends Content-Length): one exact-size array, no copying.
            body = new byte[declared];
            var filled = 0;
            while (filled < body.Length)
            {
                var read = await request.Body.ReadAsync(body.AsMemory(filled), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            if (filled < body.Length)
            {
                body = body[..filled];
            }
        }
        else
        {
            using var buffer = new MemoryStream(1024);
            var chunk = ArrayPool<byte>.Shared.Rent(8192);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(chunk.AsMemory(), context.RequestAborted)) > 0)
                {
                    if (buffer.Length + read > maxBytes)
                    {
                        return (null, TooLarge(maxBytes));
                    }

                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            body = buffer.ToArray();
        }

        if (!share)
        {
            return (body, null);
        }

        context.Items[BodyKey] = body;

        // A filter that read the body must not leave the endpoint behind it an empty stream.
        request.Body = new MemoryStream(body, writable: false);
        return (body, null);
    }

    /// <summary>
    /// Reads and decodes a form body once (the caller checked <see cref="IsForm"/>).
    /// </summary>
    /// <param name="context">The request's context.</param>
    /// <param name="maxBytes">The largest body accepted.</param>
    /// <param name="share">
    /// Whether what runs next may read the body again (an endpoint behind the signature filter): the form is then cached
    /// on the request, and <see cref="HttpRequest.Body"/> and <see cref="HttpRequest.Form"/> are served from it.
    /// Without, the body is decoded in place and nothing is kept on the request.
    /// </param>
    public static async ValueTask<(FormBody? Form, WebhookProblem? Problem)> ReadFormAsync(HttpContext context, long maxBytes, bool share = true)
    {
        if (share && context.Items.TryGetValue(FormKey, out var cached) && cached is FormBody known)
        {
            return (known, null);
        }

        if (!share)
        {
            // Nothing else reads this body: it is copied once from the server's buffers into a pooled array and decoded
            // there; the caller disposes the form, which wipes and returns the array.
            var (rented, length, readProblem) = await ReadPooledBodyAsync(context, maxBytes);
            if (rented is null)
            {
                return (null, readProblem);
            }

            return FormBody.TryParsePooled(rented, length, out var pooled, out var pooledProblem)
                ? (pooled, null)
                : (null, NotParsed(pooledProblem));
        }

        var (body, problem) = await ReadBodyAsync(context, maxBytes, share);
        if (body is null)
        {
            return (null, problem);
        }

        if (!FormBody.TryParse(body, out var form, out var parseProblem))
        {
            return (null, NotParsed(parseProblem));
        }

        context.Items[FormKey] = form;
        context.Features.Set<IFormFeature>(new FormBodyFeature(form));
        return (form, null);
    }

    /// <summary>
    /// Reads the whole body from the request's pipe into an array rented from <see cref="ArrayPool{T}.Shared"/>; no
    /// array and a problem (413) when the body is larger than <paramref name="maxBytes"/>.
    /// </summary>
    private static async ValueTask<(byte[]? Rented, int Length, WebhookProblem? Problem)> ReadPooledBodyAsync(HttpContext context, long maxBytes)
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
                var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                buffer.CopyTo(rented);
                reader.AdvanceTo(buffer.End);
                return (rented, length, null);
            }

            // Not all of it yet: look at everything, consume nothing, and wait for more.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static WebhookProblem NotParsed(string? problem) =>
        new(StatusCodes.Status400BadRequest, $"The form body could not be parsed: {problem}");

    private static bool HasMediaType(HttpRequest request, string mediaType) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The declared content type for a message, cut short: it is client input headed for logs.</summary>
    public static string Describe(string? contentType) =>
        string.IsNullOrEmpty(contentType) ? "none" : contentType.Length <= 100 ? contentType : contentType[..100] + "...";

    private static WebhookProblem TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the {maxBytes}-byte limit.");
}

/// <summary>Serves <see cref="HttpRequest.Form"/> from a body that is already decoded; the collection is built on first use.</summary>
internal sealed class FormBodyFeature(FormBody body) : IFormFeature
{
    private IFormCollection? _form;

    public bool HasFormContentType => true;

    public IFormCollection? Form
    {
        get => _form ??= Build(body);
        set => _form = value;
    }

    public IFormCollection ReadForm() => Form!;

    public Task<IFormCollection> ReadFormAsync(CancellationToken cancellationToken) => Task.FromResult(ReadForm());

    private static FormCollection Build(FormBody body)
    {
        var fields = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in body.Pairs())
        {
            fields[name] = fields.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        return new FormCollection(fields);
    }
}

/// <summary>Why a webhook request is refused: the status code and a message naming the problem (no personal data).</summary>
internal readonly record struct WebhookProblem(int StatusCode, string Message);
