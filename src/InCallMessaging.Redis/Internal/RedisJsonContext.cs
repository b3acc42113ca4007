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

/// <summary>
/// An inbound message as the store keeps it: one JSON string under <c>msg:i:{id}</c>, written once with
/// <c>SET NX PX</c> (the write, the first-delivery check and the TTL in one command) and never changed. Times are UTC
/// ticks as decimal strings, which Lua's <c>cjson</c> reads without rounding. The erasure and retention scripts read
/// <see cref="CallId"/> and <see cref="CallerKey"/> to find the message's index entries.
/// </summary>
internal sealed record StoredInbound
{
    [JsonPropertyName("id")] public required string MessageId { get; init; }

    [JsonPropertyName("ch")] public int Channel { get; init; }

    [JsonPropertyName("call")] public string? CallId { get; init; }

    [JsonPropertyName("act")] public string? ActionName { get; init; }

    [JsonPropertyName("sn")] public required string SenderName { get; init; }

    [JsonPropertyName("si")] public required string SenderIdentity { get; init; }

    [JsonPropertyName("ck")] public required string CallerKey { get; init; }

    [JsonPropertyName("cr")] public required string Caller { get; init; }

    [JsonPropertyName("tx")] public string? Text { get; init; }

    [JsonPropertyName("h")] public required string ContentHash { get; init; }

    [JsonPropertyName("tpl")] public string? TemplateId { get; init; }

    [JsonPropertyName("media")] public string[]? MediaUrls { get; init; }

    [JsonPropertyName("ref")] public string? ClientReference { get; init; }

    [JsonPropertyName("irt")] public string? InReplyTo { get; init; }

    [JsonPropertyName("at")] public required string CreatedAt { get; init; }

    [JsonPropertyName("st")] public required string Status { get; init; }

    [JsonPropertyName("state")] public int State { get; init; }

    [JsonPropertyName("err")] public string? ErrorCode { get; init; }

    [JsonPropertyName("hist")] public StoredStatus[]? History { get; init; }
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
