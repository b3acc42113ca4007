using System.Buffers;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// The arrays request bodies are read into. A body is a caller's message: it is wiped before its array goes back to
/// the pool and is handed to other code.
/// </summary>
internal static class BodyPool
{
    /// <summary>Rents an array of at least <paramref name="length"/> bytes (at least one).</summary>
    public static byte[] Rent(int length) => ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));

    /// <summary>Wipes the first <paramref name="used"/> bytes of <paramref name="array"/> and returns it to the pool.</summary>
    public static void Return(byte[] array, int used)
    {
        array.AsSpan(0, used).Clear();
        ArrayPool<byte>.Shared.Return(array);
    }
}
