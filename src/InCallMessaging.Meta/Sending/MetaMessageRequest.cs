using System.Globalization;
using System.Text.Json;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta;

/// <summary>
/// Writes the JSON body of <c>POST /{version}/{phone-number-id}/messages</c>: a text, an approved template (positional or
/// named body parameters, header media, URL buttons) or a media message (image, video, audio, document with its file
/// name). A message Meta would refuse or send half filled is refused here, before anything goes out.
/// </summary>
internal static class MetaMessageRequest
{
    /// <summary>Meta's <c>messaging_product</c>: the product's name is the channel's, written once in the core.</summary>
    private const string MessagingProduct = ChannelNames.WhatsApp;

    /// <summary>The longest text body Meta takes.</summary>
    internal const int MaxTextLength = 4096;

    /// <summary>The longest media caption Meta takes.</summary>
    internal const int MaxCaptionLength = 1024;

    /// <summary>The body to send, or the problem (for the LLM, naming what to change) that keeps it from being sent.</summary>
    public static byte[] Build(OutboundMessage message, MetaWhatsAppOptions options, out string? problem)
    {
        problem = null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("messaging_product", MessagingProduct);
            json.WriteString("recipient_type", "individual");
            json.WriteString("to", message.To);
            problem = message switch
            {
                { Content: { } content } => WriteTemplate(json, content, options),
                { MediaUrls.Count: > 0 } => WriteMedia(json, message.MediaUrls[0], message.Body),
                _ => WriteText(json, message.Body ?? "", options.PreviewUrl),
            };
            json.WriteEndObject();
        }

        return problem is null ? buffer.WrittenSpan.ToArray() : [];
    }

    private static string? WriteText(Utf8JsonWriter json, string body, bool previewUrl)
    {
        if (body.Length == 0)
        {
            return "The message is empty, so nothing was sent; write the text to send.";
        }

        if (body.Length > MaxTextLength)
        {
            return $"The message has {body.Length} characters and WhatsApp takes at most {MaxTextLength}, so nothing was sent; shorten it.";
        }

        json.WriteString("type", "text");
        json.WriteStartObject("text");
        json.WriteBoolean("preview_url", previewUrl);
        json.WriteString("body", body);
        json.WriteEndObject();
        return null;
    }

    private static string? WriteMedia(Utf8JsonWriter json, Uri url, string? caption)
    {
        var kind = MediaKindOf(url);
        caption = string.IsNullOrEmpty(caption) ? null : caption;
        if (caption is not null && kind == "audio")
        {
            return "WhatsApp audio cannot carry a caption, so nothing was sent; send the text and the audio as two messages.";
        }

        if (caption is not null && caption.Length > MaxCaptionLength)
        {
            return $"The text has {caption.Length} characters and a WhatsApp attachment's caption takes at most {MaxCaptionLength}, so nothing was sent; shorten it.";
        }

        json.WriteString("type", kind);
        json.WriteStartObject(kind);
        json.WriteString("link", url.AbsoluteUri);
        if (caption is not null)
        {
            json.WriteString("caption", caption);
        }

        if (kind == "document" && FileName(url) is { } fileName)
        {
            json.WriteString("filename", fileName);
        }

        json.WriteEndObject();
        return null;
    }

    private static string? WriteTemplate(Utf8JsonWriter json, WhatsAppContent content, MetaWhatsAppOptions options)
    {
        if (!MetaTemplateName.TryParse(content.TemplateId, out var name, out var language))
        {
            return $"The template id '{content.TemplateId}' is not a Meta template name, so nothing was sent.";
        }

        var body = new List<(string Key, int Index, string Value)>();
        var buttons = new List<(int Index, string Value)>();
        (string Key, Uri Link)? header = null;
        foreach (var (key, value) in content.Variables)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return $"The template's variable '{key}' rendered empty, and WhatsApp would send the template half filled, so nothing was sent; supply the value it is built from.";
            }

            switch (MetaTemplateVariables.KindOf(key, out var index))
            {
                case MetaVariableKind.Positional:
                case MetaVariableKind.Named:
                    body.Add((key, index, value));
                    break;
                case MetaVariableKind.UrlButton:
                    buttons.Add((index, value));
                    break;
                case MetaVariableKind.HeaderMedia when MediaUrl.TryParse(value.Trim(), out var link):
                    header = (key, link);
                    break;
                case MetaVariableKind.HeaderMedia:
                    return $"The template's header media '{key}' must render to an absolute https:// URL (it rendered to '{MediaUrl.Shorten(value)}'), so nothing was sent.";
                default:
                    return $"The template's variable key '{key}' is not one Meta takes, so nothing was sent.";
            }
        }

        json.WriteString("type", "template");
        json.WriteStartObject("template");
        json.WriteString("name", name);
        json.WriteStartObject("language");
        json.WriteString("code", language ?? options.DefaultTemplateLanguage);
        json.WriteEndObject();
        json.WriteStartArray("components");
        if (header is { } media)
        {
            var kind = media.Key[(media.Key.IndexOf('.', StringComparison.Ordinal) + 1)..];
            json.WriteStartObject();
            json.WriteString("type", "header");
            json.WriteStartArray("parameters");
            json.WriteStartObject();
            json.WriteString("type", kind);
            json.WriteStartObject(kind);
            json.WriteString("link", media.Link.AbsoluteUri);
            if (kind == "document" && FileName(media.Link) is { } fileName)
            {
                json.WriteString("filename", fileName);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (body.Count > 0)
        {
            // Positional parameters go in their numbers' order; named ones carry their names.
            body.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            json.WriteStartObject();
            json.WriteString("type", "body");
            json.WriteStartArray("parameters");
            foreach (var (key, index, value) in body)
            {
                json.WriteStartObject();
                json.WriteString("type", "text");
                if (index == 0)
                {
                    json.WriteString("parameter_name", key);
                }

                json.WriteString("text", value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buttons.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        foreach (var (index, value) in buttons)
        {
            json.WriteStartObject();
            json.WriteString("type", "button");
            json.WriteString("sub_type", "url");
            json.WriteString("index", index.ToString(CultureInfo.InvariantCulture));
            json.WriteStartArray("parameters");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", value);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        return null;
    }

    /// <summary>The WhatsApp message type a media URL is sent as, from its file extension; a document when unknown.</summary>
    internal static string MediaKindOf(Uri url) => Path.GetExtension(url.AbsolutePath).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" or ".png" => "image",
        ".mp4" or ".3gp" => "video",
        ".aac" or ".amr" or ".mp3" or ".m4a" or ".ogg" or ".opus" => "audio",
        _ => "document",
    };

    /// <summary>The file name the caller sees for a document: the URL's last path segment.</summary>
    private static string? FileName(Uri url)
    {
        var name = Uri.UnescapeDataString(url.Segments[^1]).Trim('/');
        return name.Length == 0 ? null : name;
    }
}
