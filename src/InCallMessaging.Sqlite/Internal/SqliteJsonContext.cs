using System.Text.Json.Serialization;

namespace InCallMessaging.Sqlite;

/// <summary>The JSON the store writes into columns: media URL lists, and row id lists for <c>json_each</c>.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long[]))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
