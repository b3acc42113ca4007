using System.Text.Json;
using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Custom;

/// <summary>
/// <c>POST {pattern}</c> (<c>{prefix}/custom/messages</c> with every webhook mapped): an inbound message from a custom provider, as JSON
/// <c>{"id","from","to","channel","text"}</c>, authenticated by an HMAC-SHA256 signature of the raw body.
/// </summary>
internal sealed class CustomProviderEndpoint(WebhookEndpointContext endpoint)
{
    /// <summary>The provider name inbound custom messages carry.</summary>
    public const string ProviderName = "Http";

    /// <summary>The answer's outcome while the delivery is still running in the background.</summary>
    public const string Accepted = "Accepted";

    /// <summary>Authenticates, parses and delivers one message; answers 200 <c>{"outcome": ...}</c>.</summary>
    public async Task<IResult> InboundAsync(HttpContext context)
    {
        var request = context.Request;
        var options = endpoint.Options;
        if (string.IsNullOrEmpty(options.CustomProviderSecret))
        {
            WebhookLog.CustomSecretMissing(endpoint.Logger, request.Method, request.Path);
            return WebhookResults.Text(StatusCodes.Status403Forbidden, "This endpoint is not enabled.");
        }

        var header = request.Headers[options.CustomProviderSignatureHeader].ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            WebhookLog.CustomSignatureRejected(endpoint.Logger, request.Method, request.Path, $"header {options.CustomProviderSignatureHeader} is missing");
            return WebhookResults.Text(StatusCodes.Status401Unauthorized, $"Missing {options.CustomProviderSignatureHeader} header.");
        }

        var (body, problem) = await WebhookBodyReader.ReadBytesAsync(context, options.MaxBodyBytes);
        if (body is null)
        {
            return endpoint.Reject(context, problem!.Value);
        }

        if (!CustomProviderSignature.IsValid(body, header, options.CustomProviderSecret))
        {
            WebhookLog.CustomSignatureRejected(endpoint.Logger, request.Method, request.Path, $"header {options.CustomProviderSignatureHeader} does not match");
            return WebhookResults.Text(StatusCodes.Status403Forbidden, $"Invalid {options.CustomProviderSignatureHeader} header.");
        }

        if (!WebhookBodyReader.IsJson(request))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest,
                $"Content-Type must be 'application/json' (got '{WebhookBodyReader.Describe(request.ContentType)}').");
        }

        if (!TryParse(body, out var message, out var parseProblem))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest, parseProblem!);
        }

        ReplyDeliveryOutcome? outcome;
        try
        {
            outcome = await endpoint.DeliverAsync(message!);
        }
        catch (StateStoreException ex)
        {
            return endpoint.StoreUnavailable(context, ex);
        }

        return Results.Json(new CustomProviderAnswer(outcome?.ToString() ?? Accepted), CustomProviderJsonContext.Default.CustomProviderAnswer);
    }

    /// <summary>Parses the JSON body; on failure <paramref name="problem"/> names the field.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> body, out InboundMessage? message, out string? problem)
    {
        message = null;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            problem = $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "The body must be a JSON object with fields id, from, to, channel and text.";
                return false;
            }

            if (!TryRequired(root, "id", out var id, out problem)
                || !TryRequired(root, "from", out var rawFrom, out problem)
                || !TryRequired(root, "to", out var rawTo, out problem)
                || !TryString(root, "text", required: true, allowEmpty: true, out var text, out problem)
                || !TryString(root, "channel", required: false, allowEmpty: false, out var channelName, out problem))
            {
                return false;
            }

            var (from, fromWhatsApp) = ChannelAddress.Split(rawFrom!);
            var (to, toWhatsApp) = ChannelAddress.Split(rawTo!);
            MessageChannel channel;
            if (channelName is null)
            {
                channel = fromWhatsApp || toWhatsApp ? MessageChannel.WhatsApp : MessageChannel.Sms;
            }
            else if (ChannelNames.Parse(channelName) is { } named)
            {
                channel = named;
            }
            else
            {
                problem = $"Field 'channel' must be \"{ChannelNames.Sms}\" or \"{ChannelNames.WhatsApp}\".";
                return false;
            }

            if (from.Length == 0 || to.Length == 0)
            {
                problem = $"Field '{(from.Length == 0 ? "from" : "to")}' has no address.";
                return false;
            }

            message = new InboundMessage
            {
                Provider = ProviderName,
                MessageId = id!,
                Channel = channel,
                From = from,
                To = to,
                Text = text ?? "",
            };
            return true;
        }
    }

    private static bool TryRequired(JsonElement root, string name, out string? value, out string? problem) =>
        TryString(root, name, required: true, allowEmpty: false, out value, out problem);

    private static bool TryString(JsonElement root, string name, bool required, bool allowEmpty, out string? value, out string? problem)
    {
        value = null;
        problem = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problem = $"Missing required field '{name}'.";
                return false;
            }

            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            problem = $"Field '{name}' must be a string.";
            return false;
        }

        value = element.GetString()!.Trim();
        if (!allowEmpty && value.Length == 0)
        {
            problem = $"Field '{name}' must not be empty.";
            return false;
        }

        if (allowEmpty)
        {
            value = element.GetString();
        }

        return true;
    }
}

/// <summary>The custom provider endpoint's answer.</summary>
/// <param name="Outcome">
/// What the hub did: <c>DeliveredToCall</c>, <c>DeliveredAfterCall</c>, <c>Unmatched</c> or <c>Duplicate</c>; or
/// <c>Accepted</c> when the delivery is still running in the background.
/// </param>
internal sealed record CustomProviderAnswer(string Outcome);
