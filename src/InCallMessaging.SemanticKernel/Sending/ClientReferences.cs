namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Unique references for outbound messages: a random 64-bit prefix drawn once per process and a counter, as 32 hex
/// digits. <see cref="Guid.NewGuid"/> asks the operating system for random bytes on every call (about 1 us here).
/// </summary>
internal static class ClientReferences
{
    private static readonly ulong Prefix = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(ulong)));
    private static long s_counter;

    public static string Next() =>
        string.Create(32, (ulong)Interlocked.Increment(ref s_counter), static (span, counter) =>
        {
            Prefix.TryFormat(span[..16], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
            counter.TryFormat(span[16..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
}
