using System.Text.Json.Serialization;

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
    [property: JsonPropertyName("at")] long At);

/// <summary>The JSON the store writes into hash fields and lists: media URL lists, status history entries and scheduled after-call texts.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(StoredStatus))]
[JsonSerializable(typeof(InCallMessaging.SemanticKernel.ScheduledMessage))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
