using System.Globalization;
using System.Text.Json;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// Reads an argument as text whether it arrived as a <see cref="string"/> (SK connectors) or a <see cref="JsonElement"/>
/// (Microsoft.Extensions.AI function invocation), or as another primitive.
/// </summary>
internal static class ArgumentReader
{
    public static string? Read(KernelArguments arguments, string name)
    {
        if (!arguments.TryGetValue(name, out var value) || value is null)
        {
            return null;
        }

        var text = value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
            JsonElement element => element.GetRawText(),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };

        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}
