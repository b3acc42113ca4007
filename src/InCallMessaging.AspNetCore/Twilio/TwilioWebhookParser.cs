using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.AspNetCore.Twilio;

/// <summary>
/// Turns Twilio's webhook forms into the plugin's records. Unknown parameters are ignored: Twilio adds new ones
/// without notice. Every SID the webhook carries must have Twilio's documented shape (two capital letters and 32 hex
/// digits) before it is used as a key or logged.
/// </summary>
internal static class TwilioWebhookParser
{
    /// <summary>The provider name inbound Twilio messages carry.</summary>
    public const string ProviderName = "Twilio";

    // Twilio attaches at most 10 media to a message; the cap only bounds work on a forged NumMedia.
    private const int MaxMedia = 20;

    /// <summary>Parses an inbound-message webhook; on failure <paramref name="problem"/> names the missing or bad field.</summary>
    /// <param name="form">The decoded form.</param>
    /// <param name="message">The message, received at <paramref name="receivedAt"/>.</param>
    /// <param name="problem">What is missing or wrong.</param>
    /// <param name="receivedAt">When the webhook arrived; left unset, the hub fills it in.</param>
    public static bool TryParseInbound(FormBody form, [NotNullWhen(true)] out InboundMessage? message, [NotNullWhen(false)] out string? problem,
        DateTimeOffset receivedAt = default)
    {
        message = null;
        if (!TryMessageSid(form, out var messageId, out problem, "MessageSid", "SmsMessageSid", "SmsSid")
            || !OptionalSids(form, out problem, "AccountSid", "MessagingServiceSid", "OriginalRepliedMessageSid"))
        {
            return false;
        }

        var rawFrom = First(form, "From");
        if (rawFrom is null)
        {
            problem = Missing("From");
            return false;
        }

        var rawTo = First(form, "To");
        if (rawTo is null)
        {
            problem = Missing("To");
            return false;
        }

        var (from, fromWhatsApp) = ChannelAddress.Split(rawFrom);
        var (to, toWhatsApp) = ChannelAddress.Split(rawTo);
        if (from.Length == 0)
        {
            problem = "Form field 'From' has no address after its 'whatsapp:' prefix.";
            return false;
        }

        if (!TryReadMedia(form, out var media, out problem))
        {
            return false;
        }

        message = new InboundMessage
        {
            Provider = ProviderName,
            MessageId = messageId,
            Channel = fromWhatsApp || toWhatsApp ? MessageChannel.WhatsApp : MessageChannel.Sms,
            From = from,
            To = to,
            ServiceId = First(form, "MessagingServiceSid"),
            Text = form["Body"] ?? "",
            Media = media,
            InReplyToMessageId = First(form, "OriginalRepliedMessageSid"),
            OptOutType = First(form, "OptOutType"),
            ReceivedAt = receivedAt,
        };
        return true;
    }

    /// <summary>Parses a status callback; on failure <paramref name="problem"/> names the missing or bad field.</summary>
    public static bool TryParseStatus(FormBody form, [NotNullWhen(true)] out DeliveryStatusUpdate? update, [NotNullWhen(false)] out string? problem)
    {
        update = null;
        if (!TryMessageSid(form, out var messageId, out problem, "MessageSid", "SmsSid")
            || !OptionalSids(form, out problem, "AccountSid", "MessagingServiceSid"))
        {
            return false;
        }

        var status = First(form, "MessageStatus", "SmsStatus");
        if (status is null)
        {
            problem = Missing("MessageStatus");
            return false;
        }

        problem = null;
        var errorCode = First(form, "ErrorCode");
        var (reason, meaning) = TwilioErrors.DescribeDeliveryError(errorCode);
        var word = status.ToLowerInvariant();
        update = new DeliveryStatusUpdate
        {
            MessageId = messageId,
            Status = word,
            State = TwilioMessageStatus.ToState(word),
            ErrorCode = errorCode,
            ErrorMessage = First(form, "ErrorMessage") ?? meaning,
            FailureReason = reason,
        };
        return true;
    }

    /// <summary>The client reference from a status callback URL's <c>ref</c>, when it has the shape this library gives it (hex, up to 64).</summary>
    public static string? ClientReference(string? value) =>
        value is { Length: > 0 and <= 64 } && !value.AsSpan().ContainsAnyExcept(HexDigits) ? value : null;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static bool TryReadMedia(FormBody form, out IReadOnlyList<InboundMedia> media, [NotNullWhen(false)] out string? problem)
    {
        media = [];
        problem = null;
        var declared = First(form, "NumMedia");
        int count;
        if (declared is null)
        {
            // No NumMedia: take the numbered fields that are there.
            count = 0;
            while (count < MaxMedia && form.Contains(MediaUrl(count)))
            {
                count++;
            }
        }
        else if (!int.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out count))
        {
            problem = $"Form field 'NumMedia' must be a non-negative whole number (got '{Truncate(declared)}').";
            return false;
        }

        if (count == 0)
        {
            return true;
        }

        var items = new List<InboundMedia>(Math.Min(count, MaxMedia));
        for (var i = 0; i < Math.Min(count, MaxMedia); i++)
        {
            var url = First(form, MediaUrl(i));
            if (url is null)
            {
                problem = $"Missing form field '{MediaUrl(i)}' (NumMedia is {count}).";
                return false;
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                problem = $"Form field '{MediaUrl(i)}' must be an absolute http(s) URL.";
                return false;
            }

            items.Add(new InboundMedia(uri, First(form, $"MediaContentType{i}") ?? "application/octet-stream"));
        }

        media = items;
        return true;
    }

    /// <summary>The message's SID: the first of <paramref name="names"/> present, which must be a well-formed SID.</summary>
    private static bool TryMessageSid(FormBody form, [NotNullWhen(true)] out string? sid, [NotNullWhen(false)] out string? problem, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            sid = First(form, name);
            if (sid is not null)
            {
                problem = TwilioSid.IsAny(sid) ? null : NotASid(name);
                return problem is null;
            }
        }

        sid = null;
        problem = Missing(names[0]);
        return false;
    }

    /// <summary>
    /// Checks the SIDs among <paramref name="names"/> that are present (blank counts as absent, as for every field),
    /// over the decoded bytes: most are not otherwise read, and no string is made for them.
    /// </summary>
    private static bool OptionalSids(FormBody form, [NotNullWhen(false)] out string? problem, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (form.IndexOf(name) is var index and >= 0
                && form.ValueBytes(index).Trim(" \t\r\n"u8) is { IsEmpty: false } value
                && !TwilioSid.IsAny(value))
            {
                problem = NotASid(name);
                return false;
            }
        }

        problem = null;
        return true;
    }

    private static string NotASid(string field) => $"Form field '{field}' is not a Twilio SID (two capital letters and 32 hex digits).";

    private static string MediaUrl(int index) => "MediaUrl" + index.ToString(CultureInfo.InvariantCulture);

    private static string? First(FormBody form, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (form[name] is { } value && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }

        return null;
    }

    private static string Missing(string field) => $"Missing required form field '{field}'.";

    private static string Truncate(string value) => value.Length <= 16 ? value : value[..16] + "...";
}
