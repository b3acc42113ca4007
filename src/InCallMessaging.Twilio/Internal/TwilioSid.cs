using System.Buffers;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// The shape of a Twilio SID: two letters naming the resource (<c>AC</c> account, <c>SK</c> API key, <c>MG</c> Messaging
/// Service, <c>HX</c> Content template, <c>SM</c>/<c>MM</c> message) followed by 32 hex digits. The one place it is checked.
/// </summary>
internal static class TwilioSid
{
    /// <summary>The length of every SID.</summary>
    public const int Length = 34;

    /// <summary>The account SID prefix.</summary>
    public const string Account = "AC";

    /// <summary>The API key SID prefix.</summary>
    public const string ApiKey = "SK";

    /// <summary>The Messaging Service SID prefix.</summary>
    public const string MessagingService = "MG";

    /// <summary>The Content (WhatsApp template) SID prefix.</summary>
    public const string Content = "HX";

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");
    private static readonly SearchValues<byte> HexBytes = SearchValues.Create("0123456789abcdefABCDEF"u8);

    /// <summary>Whether <paramref name="value"/> is <paramref name="prefix"/> followed by 32 hex digits.</summary>
    public static bool Is(string? value, string prefix) =>
        value is { Length: Length }
        && value.StartsWith(prefix, StringComparison.Ordinal)
        && !value.AsSpan(2).ContainsAnyExcept(HexDigits);

    /// <summary>Whether <paramref name="value"/> is two capital letters followed by 32 hex digits (any SID).</summary>
    public static bool IsAny(ReadOnlySpan<char> value) =>
        value.Length == Length && char.IsAsciiLetterUpper(value[0]) && char.IsAsciiLetterUpper(value[1]) && !value[2..].ContainsAnyExcept(HexDigits);

    /// <summary>Whether the UTF-8 <paramref name="value"/> is two capital letters followed by 32 hex digits (any SID).</summary>
    public static bool IsAny(ReadOnlySpan<byte> value) =>
        value.Length == Length && char.IsAsciiLetterUpper((char)value[0]) && char.IsAsciiLetterUpper((char)value[1]) && !value[2..].ContainsAnyExcept(HexBytes);
}
