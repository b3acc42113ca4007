using System.Globalization;
using System.Text.Json;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta;

/// <summary>
/// Reads a Cloud API webhook body (<c>{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{...}}]}]}</c>)
/// into inbound messages and status updates. One malformed item is skipped (and logged), not the batch: a 4xx would
/// make Meta send every other item again for days.
/// </summary>
internal static class MetaWebhookParser
{
    /// <summary>Parses <paramref name="body"/>; false with <paramref name="problem"/> when it is not a webhook body at all.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, Uri mediaBaseUrl, DateTimeOffset receivedAt, out MetaWebhookBatch batch, out string? problem)
    {
        batch = new MetaWebhookBatch();
        problem = null;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
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
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                problem = "The body must be a JSON object with an 'entry' array.";
                return false;
            }

            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
                {
                    batch.Skipped.Add("an entry without a 'changes' array");
                    continue;
                }

                foreach (var change in changes.EnumerateArray())
                {
                    ReadChange(change, mediaBaseUrl, receivedAt, batch);
                }
            }
        }

        return true;
    }

    private static void ReadChange(JsonElement change, Uri mediaBaseUrl, DateTimeOffset receivedAt, MetaWebhookBatch batch)
    {
        var field = change.ValueKind == JsonValueKind.Object ? Text(change, "field") : null;
        if (field is not null && field != "messages")
        {
            // Template reviews, quality ratings, account updates: not for a call.
            batch.OtherFields.Add(Shorten(field));
            return;
        }

        if (field is null || !change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
        {
            batch.Skipped.Add("a change without a field or a value object");
            return;
        }

        var metadata = value.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object ? meta : default;
        var display = metadata.ValueKind == JsonValueKind.Object ? Digits(Text(metadata, "display_phone_number")) : null;
        var phoneNumberId = metadata.ValueKind == JsonValueKind.Object ? Text(metadata, "phone_number_id") : null;

        foreach (var message in Items(value, "messages"))
        {
            if (ReadMessage(message, display, phoneNumberId, mediaBaseUrl, receivedAt, out var skipped) is { } inbound)
            {
                batch.Messages.Add(inbound);
            }
            else
            {
                batch.Skipped.Add(skipped!);
            }
        }

        foreach (var status in Items(value, "statuses"))
        {
            if (ReadStatus(status, out var skipped) is { } update)
            {
                batch.Statuses.Add(update);
            }
            else
            {
                batch.Skipped.Add(skipped!);
            }
        }
    }

    private static InboundMessage? ReadMessage(JsonElement message, string? display, string? phoneNumberId, Uri mediaBaseUrl,
        DateTimeOffset receivedAt, out string? skipped)
    {
        skipped = null;
        var id = Text(message, "id");
        var from = Digits(Text(message, "from"));
        var type = Text(message, "type");
        if (string.IsNullOrEmpty(id) || from is null || type is null)
        {
            skipped = "a message without id, from or type";
            return null;
        }

        if (display is null)
        {
            skipped = $"message {id}: its change has no metadata.display_phone_number";
            return null;
        }

        string text;
        IReadOnlyList<InboundMedia> media = [];
        switch (type)
        {
            case "text":
                text = Text(Object(message, "text"), "body") ?? "";
                break;
            case "interactive":
                // The caller tapped a reply button or a list row: what they saw is the title.
                var interactive = Object(message, "interactive");
                var reply = Object(interactive, "button_reply") is { ValueKind: JsonValueKind.Object } button ? button : Object(interactive, "list_reply");
                text = Text(reply, "title") ?? Text(reply, "id") ?? "";
                break;
            case "button":
                // A quick-reply button of a template.
                var templateButton = Object(message, "button");
                text = Text(templateButton, "text") ?? Text(templateButton, "payload") ?? "";
                break;
            case "image" or "video" or "audio" or "document" or "sticker":
                var item = Object(message, type);
                text = Text(item, "caption") ?? "";
                if (Text(item, "id") is { Length: > 0 } mediaId && mediaId.All(char.IsAsciiDigit))
                {
                    // The media object's Graph URL: GET it with the access token for the download URL (valid 5 minutes).
                    media = [new InboundMedia(new Uri(mediaBaseUrl, mediaId), Text(item, "mime_type") ?? "application/octet-stream")];
                }

                break;
            case "reaction":
                skipped = $"message {id}: a reaction, not a reply";
                return null;
            case "unsupported":
                text = "(a message WhatsApp could not pass on)";
                break;
            default:
                // Location, contacts, a type Meta adds later: still a reply the agent should know of.
                text = $"(a {Shorten(type)} message)";
                break;
        }

        var timestamp = long.TryParse(Text(message, "timestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : receivedAt;
        return new InboundMessage
        {
            Provider = MetaMessageProvider.ProviderName,
            MessageId = id,
            Channel = MessageChannel.WhatsApp,
            From = "+" + from,
            To = "+" + display,
            ServiceId = phoneNumberId,
            Text = text,
            Media = media,
            InReplyToMessageId = Text(Object(message, "context"), "id"),
            ReceivedAt = timestamp > receivedAt ? receivedAt : timestamp,
        };
    }

    private static DeliveryStatusUpdate? ReadStatus(JsonElement status, out string? skipped)
    {
        skipped = null;
        var id = Text(status, "id");
        var word = Text(status, "status");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(word))
        {
            skipped = "a status without id or status";
            return null;
        }

        var state = MetaMessageStatus.ToState(word);
        if (state == DeliveryState.Unknown)
        {
            skipped = $"status '{Shorten(word)}' of {id}: not a delivery state";
            return null;
        }

        int? code = null;
        string? title = null;
        foreach (var error in Items(status, "errors"))
        {
            code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) ? n : null;
            title = Text(error, "title");
            break;
        }

        var (reason, meaning) = MetaErrors.DescribeDeliveryError(code);
        return new DeliveryStatusUpdate
        {
            MessageId = id,
            Status = word,
            State = state,
            ErrorCode = code?.ToString(CultureInfo.InvariantCulture),
            ErrorMessage = meaning ?? (code is null ? null : Shorten(title)),
            FailureReason = reason,
        };
    }

    private static IEnumerable<JsonElement> Items(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(static e => e.ValueKind == JsonValueKind.Object)
            : [];

    private static JsonElement Object(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.Object ? child : default;

    private static string? Text(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.String ? child.GetString() : null;

    /// <summary>The digits of a number Meta wrote without '+' (<c>15551234567</c>, a display number may have spaces); null when there are none.</summary>
    private static string? Digits(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return null;
        }

        var digits = new string(number.Where(char.IsAsciiDigit).ToArray());
        return digits.Length is >= 5 and <= 15 && number.All(static c => char.IsAsciiDigit(c) || c is ' ' or '+' or '-' or '(' or ')') ? digits : null;
    }

    /// <summary>A value from outside, cut short for a log line.</summary>
    private static string Shorten(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "...";
}
