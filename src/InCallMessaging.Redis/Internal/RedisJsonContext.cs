using System.Text.Json.Serialization;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Redis.Internal;

/// <summary>One entry of a message's status history list, as the store writes it.</summary>
/// <param name="Status">The provider's word.</param>
/// <param name="State">The <see cref="SemanticKernel.DeliveryState"/> as a number.</param>
/// <param name="ErrorCode">The provider's error code, if any.</param>
/// <param name="At">When it was applied, in UTC ticks.</param>
internal sealed record StoredStatus(
    [property: JsonPropertyName("s")] string Status,
    [property: JsonPropertyName("st")] int State,
    [property: JsonPropertyName("e")] string? ErrorCode,
    [property: JsonPropertyName("at")] long At)
{
    /// <summary>The entry for <paramref name="status"/>.</summary>
    public static StoredStatus From(LoggedStatus status) => new(status.Status, (int)status.State, status.ErrorCode, status.At.UtcTicks);

    /// <summary>The status this entry keeps.</summary>
    public LoggedStatus ToStatus() => new(Status, (DeliveryState)State, ErrorCode, new DateTimeOffset(At, TimeSpan.Zero));
}

/// <summary>
/// The JSON the store writes: media URL lists, status history entries, inbound messages and scheduled after-call texts.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(StoredInbound))]
[JsonSerializable(typeof(StoredStatus))]
[JsonSerializable(typeof(InCallMessaging.SemanticKernel.ScheduledMessage))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
