using System.Text.Json.Serialization;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Redis.Internal;

/// <summary>The JSON of a handed-off message or status in an instance's inbox stream.</summary>
[JsonSerializable(typeof(InboundMessage))]
[JsonSerializable(typeof(DeliveryStatusUpdate))]
internal sealed partial class RoutingJsonContext : JsonSerializerContext;
