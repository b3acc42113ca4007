using System.Text.Json.Serialization;

namespace InCallMessaging.AspNetCore.Custom;

/// <summary>Source-generated JSON metadata for the custom provider endpoint's answer.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CustomProviderAnswer))]
internal sealed partial class CustomProviderJsonContext : JsonSerializerContext;
