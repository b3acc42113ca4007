using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The key a caller is stored under: the first 128 bits of a SHA-256 of the E.164 number, in lower-case hex. Stores
/// find, match and erase callers by it without keeping the number itself.
/// </summary>
/// <remarks>
/// A key is pseudonymous, not anonymous: anyone holding a number can compute its key. That is what lets an erasure
/// request or an opt-out be checked, and why the store's access still needs guarding.
/// </remarks>
public static class CallerKeys
{
    /// <summary>The key of a caller's number (normalized to E.164 first, so any spelling of one number gives one key).</summary>
    /// <param name="number">The caller's number, in any common format, with or without <c>whatsapp:</c>.</param>
    public static string Of(string number)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(number);
        return OfNormalized(PhoneNumbers.NormalizeOrKeep(ChannelAddress.Strip(number)));
    }

    /// <summary>Keys of recent numbers: a caller who texts again (or is texted again) is not hashed again.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Recent = new(StringComparer.Ordinal);

    private const int RecentCapacity = 4096;

    private static int _recentCount;

    /// <summary>The key of a number already normalized (E.164, no prefix): the hot paths normalize once.</summary>
    internal static string OfNormalized(string normalized)
    {
        if (Recent.TryGetValue(normalized, out var known))
        {
            return known;
        }

        var key = Hash(normalized);
        // Counted here rather than with Count, which takes every lock of the dictionary.
        if (Interlocked.Increment(ref _recentCount) > RecentCapacity)
        {
            Recent.Clear();
            Volatile.Write(ref _recentCount, 0);
        }

        Recent.TryAdd(normalized, key);
        return key;
    }

    private static string Hash(string normalized)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(normalized.Length, 64))];
        var source = normalized.Length <= 64 ? utf8[..Encoding.UTF8.GetBytes(normalized, utf8)] : Encoding.UTF8.GetBytes(normalized);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(source, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>
    /// A 128-bit XXH3 hash of message content, in lower-case hex: what was sent, recognizable without its words. Not a
    /// secret-keeping hash (a short text such as a code can be found by trying them all, as with any unkeyed hash).
    /// </summary>
    internal static string ContentHash(string content)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(System.Runtime.InteropServices.MemoryMarshal.AsBytes(content.AsSpan()), hash);
        return Convert.ToHexStringLower(hash);
    }
}
