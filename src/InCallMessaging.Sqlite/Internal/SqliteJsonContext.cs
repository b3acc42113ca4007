using System.Text.Json.Serialization;

namespace InCallMessaging.Sqlite;

/// <summary>The JSON the store writes into columns: media URL lists, row id lists for <c>json_each</c> and scheduled after-call texts.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(InCallMessaging.SemanticKernel.ScheduledMessage))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
