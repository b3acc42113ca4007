using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
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
    public static bool IsForm(HttpRequest request) => HasMediaType(request, FormContentType);

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
    public static async ValueTask<(byte[]? Body, WebhookProblem? Problem)> ReadBodyAsync(HttpContext context, long maxBytes)
    {
        if (context.Items.TryGetValue(BodyKey, out var cached) && cached is byte[] body)
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

        context.Items[BodyKey] = body;

        // A filter that read the body must not leave the endpoint behind it an empty stream.
        request.Body = new MemoryStream(body, writable: false);
        return (body, null);
    }

    /// <summary>
    /// Reads and parses a form body (the caller checked <see cref="IsForm"/>). The parsed form is also installed as the
    /// request's <see cref="HttpRequest.Form"/>.
    /// </summary>
    public static async ValueTask<(IFormCollection? Form, WebhookProblem? Problem)> ReadFormAsync(HttpContext context, long maxBytes)
    {
        if (context.Items.TryGetValue(FormKey, out var cached) && cached is IFormCollection form)
        {
            return (form, null);
        }

        var (body, problem) = await ReadBodyAsync(context, maxBytes);
        if (body is null)
        {
            return (null, problem);
        }

        Dictionary<string, StringValues> fields;
        try
        {
            // Parsed from the UTF-8 bytes as they are (no string of the whole body first).
            var reader = new FormPipeReader(PipeReader.Create(new ReadOnlySequence<byte>(body)));
            fields = await reader.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException ex)
        {
            return (null, new WebhookProblem(StatusCodes.Status400BadRequest, $"The form body could not be parsed: {ex.Message}"));
        }

        form = new FormCollection(fields);
        context.Items[FormKey] = form;
        context.Features.Set<IFormFeature>(new FormFeature(form));
        return (form, null);
    }

    /// <summary>The form's fields as single name/value pairs (a repeated name gives one pair per value).</summary>
    public static List<KeyValuePair<string, string>> Pairs(IFormCollection form)
    {
        var pairs = new List<KeyValuePair<string, string>>(form.Count);
        foreach (var field in form)
        {
            foreach (var value in field.Value)
            {
                pairs.Add(new KeyValuePair<string, string>(field.Key, value ?? ""));
            }
        }

        return pairs;
    }

    private static bool HasMediaType(HttpRequest request, string mediaType) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The declared content type for a message, cut short: it is client input headed for logs.</summary>
    public static string Describe(string? contentType) =>
        string.IsNullOrEmpty(contentType) ? "none" : contentType.Length <= 100 ? contentType : contentType[..100] + "...";

    private static WebhookProblem TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the {maxBytes}-byte limit.");
}

/// <summary>Why a webhook request is refused: the status code and a message naming the problem (no personal data).</summary>
internal readonly record struct WebhookProblem(int StatusCode, string Message);
