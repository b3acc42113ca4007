using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Twilio;

/// <summary>Turns an <see cref="OutboundMessage"/> into the form fields of Twilio's Create Message request.</summary>
internal static class TwilioMessageForm
{
    /// <summary>Twilio's limit on <c>Body</c>, in characters.</summary>
    internal const int MaxBodyLength = 1600;

    /// <summary>Twilio's limit on repeated <c>MediaUrl</c> fields.</summary>
    internal const int MaxMediaUrls = 10;

    /// <summary>WhatsApp delivers one attachment per message; Twilio ignores the others without an error.</summary>
    internal const int MaxWhatsAppMediaUrls = 1;


    /// <summary>
    /// Checks what Twilio would reject anyway, so the LLM learns why without a round trip.
    /// Returns <see langword="null"/> when the message can be sent.
    /// </summary>
    internal static SendResult? Check(OutboundMessage message)
    {
        if (string.IsNullOrWhiteSpace(message.Sender.From) && string.IsNullOrWhiteSpace(message.Sender.ServiceId))
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                $"The sender '{message.SenderName}' has no From number or ServiceId (Messaging Service SID) configured, so nothing was sent; this is a configuration problem: read the content aloud instead.");
        }

        if (string.IsNullOrWhiteSpace(message.To))
        {
            return SendResult.Failed(
                SendFailureReason.InvalidRecipient,
                "There is no recipient number, so nothing was sent; ask the caller for a mobile number or read the content aloud.");
        }

        if (message.Content is not null)
        {
            // A template carries its own text and media: Body and MediaUrl are not sent with it.
            return null;
        }

        if (message.Body is { Length: > MaxBodyLength } body)
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                $"The message is {body.Length} characters, over Twilio's limit of {MaxBodyLength}, so it was not sent; shorten it and send it again.");
        }

        if (message.MediaUrls.Count > MaxMediaUrls)
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                $"The message has {message.MediaUrls.Count} attachments, over Twilio's limit of {MaxMediaUrls}, so it was not sent; send at most {MaxMediaUrls}.");
        }

        if (message.Channel == MessageChannel.WhatsApp && message.MediaUrls.Count > MaxWhatsAppMediaUrls)
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                $"The message has {message.MediaUrls.Count} attachments, but a WhatsApp message carries only one (the others would be dropped), so it was not sent; send one attachment per message.");
        }

        if (string.IsNullOrEmpty(message.Body) && message.MediaUrls.Count == 0)
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                "The message has no text, template or media, so nothing was sent; write the text and send it again.");
        }

        return null;
    }

    /// <summary>Builds the form fields; call <see cref="Check"/> first.</summary>
    internal static List<KeyValuePair<string, string>> Build(OutboundMessage message, string? statusCallbackUrl)
    {
        var whatsApp = message.Channel == MessageChannel.WhatsApp;
        var fields = new List<KeyValuePair<string, string>>(6 + message.MediaUrls.Count)
        {
            new("To", Address(message.To, whatsApp)),
        };

        if (!string.IsNullOrWhiteSpace(message.Sender.ServiceId))
        {
            fields.Add(new("MessagingServiceSid", message.Sender.ServiceId));
        }

        if (!string.IsNullOrWhiteSpace(message.Sender.From))
        {
            fields.Add(new("From", Address(message.Sender.From, whatsApp)));
        }

        if (message.Content is { } content)
        {
            fields.Add(new("ContentSid", content.TemplateId));
            if (content.Variables.Count > 0)
            {
                fields.Add(new("ContentVariables", ContentVariablesJson(content.Variables)));
            }
        }
        else
        {
            if (!string.IsNullOrEmpty(message.Body))
            {
                fields.Add(new("Body", message.Body));
            }

            foreach (var mediaUrl in message.MediaUrls)
            {
                fields.Add(new("MediaUrl", mediaUrl.AbsoluteUri));
            }
        }

        if (statusCallbackUrl is not null)
        {
            fields.Add(new("StatusCallback", statusCallbackUrl));
        }

        return fields;
    }

    /// <summary>An E.164 number as Twilio addresses it on the channel: <c>whatsapp:+14155550100</c> on WhatsApp.</summary>
    internal static string Address(string number, bool whatsApp) => ChannelAddress.For(number, whatsApp);

    /// <summary>
    /// The template variables as the JSON string Twilio expects (<c>{"1":"Ada","2":"3pm"}</c>), keys in numeric order
    /// so the same message always produces the same request.
    /// </summary>
    internal static string ContentVariablesJson(IReadOnlyDictionary<string, string> variables)
    {
        var keys = new string[variables.Count];
        var i = 0;
        foreach (var key in variables.Keys)
        {
            keys[i++] = key;
        }

        Array.Sort(keys, CompareVariableKeys);

        var buffer = new ArrayBufferWriter<byte>(64 * (keys.Length + 1));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var key in keys)
            {
                writer.WriteString(key, variables[key] ?? "");
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static int CompareVariableKeys(string left, string right)
    {
        var leftIsNumber = int.TryParse(left, NumberStyles.None, CultureInfo.InvariantCulture, out var leftNumber);
        var rightIsNumber = int.TryParse(right, NumberStyles.None, CultureInfo.InvariantCulture, out var rightNumber);
        return (leftIsNumber, rightIsNumber) switch
        {
            (true, true) => leftNumber.CompareTo(rightNumber),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(left, right),
        };
    }
}
