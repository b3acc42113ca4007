using System.Globalization;
using System.Text.Json.Serialization;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Redis.Internal;

/// <summary>
/// An inbound message as the store keeps it: one JSON string under <c>msg:i:{id}</c>, written once with
/// <c>SET NX PX</c> (the write, the first-delivery check and the TTL in one command) and never changed. Times are UTC
/// ticks as decimal strings, which Lua's <c>cjson</c> reads without rounding. Scripts read two fields: erasure reads
/// <see cref="CallId"/> to find the message's entry in its call's list, and retention <see cref="CreatedAt"/> in the
/// cutoff's own minute.
/// </summary>
internal sealed record StoredInbound
{
    /// <summary>The message as the store keeps it.</summary>
    public static StoredInbound From(LoggedMessage message) => new()
    {
        MessageId = message.MessageId,
        Channel = (int)message.Channel,
        CallId = message.CallId,
        ActionName = message.ActionName,
        SenderName = message.SenderName,
        SenderIdentity = message.SenderIdentity,
        CallerKey = message.CallerKey,
        Caller = message.Caller,
        Text = message.Text,
        ContentHash = message.ContentHash,
        TemplateId = message.TemplateId,
        MediaUrls = message.MediaUrls.Count == 0 ? null : [.. message.MediaUrls],
        ClientReference = message.ClientReference,
        InReplyTo = message.InReplyTo,
        CreatedAt = message.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        Status = message.Status,
        State = (int)message.State,
        ErrorCode = message.ErrorCode,
        History = message.StatusHistory.Count == 0 ? null : [.. message.StatusHistory.Select(StoredStatus.From)],
    };

    /// <summary>The logged message it keeps.</summary>
    public LoggedMessage ToMessage() => new()
    {
        MessageId = MessageId,
        Direction = MessageDirection.Inbound,
        Channel = (MessageChannel)Channel,
        CallId = CallId,
        ActionName = ActionName,
        SenderName = SenderName,
        SenderIdentity = SenderIdentity,
        CallerKey = CallerKey,
        Caller = Caller,
        Text = Text,
        ContentHash = ContentHash,
        TemplateId = TemplateId,
        MediaUrls = MediaUrls ?? [],
        ClientReference = ClientReference,
        InReplyTo = InReplyTo,
        CreatedAt = new DateTimeOffset(long.Parse(CreatedAt, NumberStyles.Integer, CultureInfo.InvariantCulture), TimeSpan.Zero),
        Status = Status,
        State = (DeliveryState)State,
        ErrorCode = ErrorCode,
        StatusHistory = History is null ? [] : [.. History.Select(h => h.ToStatus())],
    };

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
