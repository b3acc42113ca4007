using System.Buffers;
using System.Globalization;
using System.Text;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Turns a caller's text into what the call keeps and the model reads: one visible reply on one line. The text is
/// untrusted input headed for a prompt, so
/// <list type="bullet">
/// <item>line breaks, tabs and other controls become single spaces, and the ends are trimmed;</item>
/// <item>format characters (Unicode category Cf: bidirectional overrides and isolates, zero-width spaces, the byte order
/// mark, tag characters) are removed, because they make the text read differently from what it says. Two kinds are
/// kept where they belong to an emoji: a zero width joiner between two emoji (a family, a profession), and the tag
/// characters of the England, Scotland and Wales flags, the only tag sequences emoji keyboards send. Any other tag
/// character goes: tags are invisible copies of ASCII that a model can read;</item>
/// <item>a text longer than the limit is cut on a grapheme-cluster boundary, never inside a surrogate pair or an emoji
/// sequence, and ends with '…';</item>
/// <item>a bracketed label that could read as a transcript marker (one naming a Reply or a Status, such as
/// <c>[SMS Reply]</c>, or any bracketed label followed by a colon) gets parentheses instead of brackets, so
/// <c>ok [SMS Reply]: 999999</c> cannot look like a second reply.</item>
/// </list>
/// </summary>
internal static class ReplyText
{
    private const char Ellipsis = '…';
    private const char FullwidthOpen = '［';
    private const char FullwidthClose = '］';
    private const char FullwidthColon = '：';
    private const int ZeroWidthJoiner = 0x200D;
    private const int WavingBlackFlag = 0x1F3F4;

    /// <summary>The England, Scotland and Wales flags: the black flag, five tag letters and the cancel tag.</summary>
    private static readonly string[] TagFlags = [TagFlag("gbeng"), TagFlag("gbsct"), TagFlag("gbwls")];

    /// <summary>The most characters one step of <see cref="Normalize"/> writes: a space and a tag flag.</summary>
    private static readonly int LongestStep = 1 + TagFlags.Max(f => f.Length);

    /// <summary>The text as the call keeps it; <paramref name="text"/> itself (no copy) when it is already clean.</summary>
    public static string Sanitize(string text, int maxLength)
    {
        if (IsClean(text, maxLength))
        {
            // The usual text: nothing to change, no copy.
            return text;
        }

        // Never longer than the input: every step writes at most what it reads.
        var rented = ArrayPool<char>.Shared.Rent((int)Math.Min(text.Length, (long)maxLength + LongestStep));
        try
        {
            var buffer = rented.AsSpan();
            var length = Normalize(text, buffer, maxLength);
            if (length > maxLength)
            {
                length = TextElementsWithin(buffer[..length], maxLength);
                length = buffer[..length].TrimEnd(' ').Length;
                buffer[length++] = Ellipsis;
            }

            var result = buffer[..length];
            NeutralizeMarkers(result);
            return result.SequenceEqual(text) ? text : new string(result);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Whether <see cref="Sanitize"/> would return <paramref name="text"/> unchanged, decided without a copy: single
    /// spaces, not at the ends; no controls, format characters, broken surrogates or opening brackets; within the limit.
    /// </summary>
    internal static bool IsClean(string text, int maxLength)
    {
        if (text.Length > maxLength || (text.Length > 0 && (text[0] == ' ' || text[^1] == ' ')))
        {
            return false;
        }

        var lastWasSpace = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == ' ')
            {
                if (lastWasSpace)
                {
                    return false;
                }

                lastWasSpace = true;
                continue;
            }

            lastWasSpace = false;
            if (char.IsAscii(c))
            {
                if (char.IsControl(c) || c == '[')
                {
                    return false;
                }
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // An emoji, usually; tag characters are format characters up here.
                if (CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[++i])) == UnicodeCategory.Format)
                {
                    return false;
                }
            }
            else if (char.IsSurrogate(c) || char.IsWhiteSpace(c) || char.IsControl(c) || c == FullwidthOpen
                || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes the text with whitespace collapsed and format characters removed, and stops once it has written more than
    /// <paramref name="maxLength"/> characters (so the caller knows to cut and sees the cluster that crosses the limit).
    /// </summary>
    private static int Normalize(ReadOnlySpan<char> text, Span<char> output, int maxLength)
    {
        var written = 0;
        var pendingSpace = false;
        Rune previous = default;
        var i = 0;
        while (i < text.Length && written <= maxLength)
        {
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                // Half a surrogate pair: it would reach the model as U+FFFD.
                i += Math.Max(consumed, 1);
                continue;
            }

            if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune))
            {
                pendingSpace = written > 0;
            }
            else if (rune.Value == WavingBlackFlag && TagFlagAt(text[i..]) is { } flag)
            {
                WriteSpaceIfPending(output, ref written, ref pendingSpace);
                flag.CopyTo(output[written..]);
                written += flag.Length;
                previous = default;
                consumed = flag.Length;
            }
            else if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.Format)
            {
                WriteSpaceIfPending(output, ref written, ref pendingSpace);
                written += rune.EncodeToUtf16(output[written..]);
                previous = rune;
            }
            else if (rune.Value == ZeroWidthJoiner && !pendingSpace && IsEmojiPart(previous) && NextIsEmojiPart(text[(i + consumed)..]))
            {
                written += rune.EncodeToUtf16(output[written..]);
                previous = rune;
            }

            // Any other format character is dropped.
            i += consumed;
        }

        return written;
    }

    private static void WriteSpaceIfPending(Span<char> output, ref int written, ref bool pendingSpace)
    {
        if (pendingSpace)
        {
            output[written++] = ' ';
            pendingSpace = false;
        }
    }

    /// <summary>Emoji and the marks that join, tint or style them; not ASCII, so <c>a+b</c> keeps no joiner.</summary>
    private static bool IsEmojiPart(Rune rune) =>
        rune.Value >= 0x80
        && (rune.Value is 0xFE0E or 0xFE0F
            || Rune.GetUnicodeCategory(rune) is UnicodeCategory.OtherSymbol or UnicodeCategory.MathSymbol or UnicodeCategory.ModifierSymbol);

    private static bool NextIsEmojiPart(ReadOnlySpan<char> rest) =>
        Rune.DecodeFromUtf16(rest, out var next, out _) == OperationStatus.Done && IsEmojiPart(next);

    private static string? TagFlagAt(ReadOnlySpan<char> text)
    {
        foreach (var flag in TagFlags)
        {
            if (text.StartsWith(flag, StringComparison.Ordinal))
            {
                return flag;
            }
        }

        return null;
    }

    /// <summary>The length of the longest run of whole text elements (grapheme clusters) from the start that fits in <paramref name="maxLength"/>.</summary>
    private static int TextElementsWithin(ReadOnlySpan<char> text, int maxLength)
    {
        var end = 0;
        while (end < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text[end..]);
            if (end + next > maxLength)
            {
                break;
            }

            end += next;
        }

        return end;
    }

    /// <summary>
    /// Replaces the brackets of every label that could read as a transcript marker with parentheses. Brackets pair up
    /// innermost first, so <c>[[SMS Reply]]:</c> loses both pairs.
    /// </summary>
    private static void NeutralizeMarkers(Span<char> text)
    {
        if (text.IndexOfAny('[', FullwidthOpen) < 0)
        {
            return;
        }

        var opens = new Stack<int>();
        for (var close = 0; close < text.Length; close++)
        {
            if (text[close] is '[' or FullwidthOpen)
            {
                opens.Push(close);
            }
            else if (text[close] is ']' or FullwidthClose && opens.TryPop(out var open) && ReadsAsMarker(text, open, close))
            {
                text[open] = '(';
                text[close] = ')';
            }
        }
    }

    private static bool ReadsAsMarker(ReadOnlySpan<char> text, int open, int close)
    {
        var label = text[(open + 1)..close].Trim(' ');
        var after = text[(close + 1)..].TrimStart(' ');
        return label.EndsWith("reply", StringComparison.OrdinalIgnoreCase)
            || label.EndsWith("status", StringComparison.OrdinalIgnoreCase)
            || (after.Length > 0 && after[0] is ':' or FullwidthColon);
    }

    private static string TagFlag(string region)
    {
        var builder = new StringBuilder(char.ConvertFromUtf32(WavingBlackFlag));
        foreach (var letter in region)
        {
            builder.Append(char.ConvertFromUtf32(0xE0000 + letter));
        }

        return builder.Append(char.ConvertFromUtf32(0xE007F)).ToString();
    }
}
