using System.Text.Json.Serialization;

namespace InCallMessaging.Twilio;

/// <summary>The fields of Twilio's Message resource (the 201 answer) that the provider reads.</summary>
internal sealed class TwilioMessageResource
{
    [JsonPropertyName("sid")]
    public string? Sid { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }
}

/// <summary>Twilio's error answer: <c>{"code": 21211, "message": "...", "more_info": "https://...", "status": 400}</c>.</summary>
internal sealed class TwilioErrorResource
{
    [JsonPropertyName("code")]
    public int? Code { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("more_info")]
    public string? MoreInfo { get; set; }

    [JsonPropertyName("status")]
    public int? Status { get; set; }
}

/// <summary>Source-generated (reflection-free) JSON metadata for Twilio's answers; unknown keys are ignored.</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(TwilioMessageResource))]
[JsonSerializable(typeof(TwilioErrorResource))]
internal sealed partial class TwilioJsonContext : JsonSerializerContext;
