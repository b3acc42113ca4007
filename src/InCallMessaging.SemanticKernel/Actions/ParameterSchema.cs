using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Scriban.Runtime;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>The JSON Schema types an action parameter may have.</summary>
internal enum ParameterKind
{
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

/// <summary>One problem with an argument the model passed: the field's path and what is wrong, in words the model can act on.</summary>
internal readonly record struct ArgumentProblem(string Field, string Problem);

/// <summary>
/// An action parameter after start-up validation. It writes the JSON Schema the model sees, and binds what the model
/// passed (text from SK's connectors, <see cref="JsonElement"/> from Microsoft.Extensions.AI, or CLR values from code)
/// to a typed value for templates: <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>,
/// a <see cref="ScriptArray"/> or a <see cref="ScriptObject"/>, checking the schema's constraints on the way.
/// </summary>
internal sealed partial class ParameterSchema
{
    private const int MaxDepth = 5;
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private ParameterSchema(ParameterKind kind, ActionParameter definition)
    {
        Kind = kind;
        Definition = definition;
    }

    public ParameterKind Kind { get; }

    public ActionParameter Definition { get; }

    /// <summary>The allowed values, typed as the parameter's kind.</summary>
    public IReadOnlyList<object> Enum { get; private init; } = [];

    public Regex? Pattern { get; private init; }

    public ParameterSchema? Items { get; private init; }

    public IReadOnlyList<KeyValuePair<string, ParameterSchema>> Properties { get; private init; } = [];

    public IReadOnlySet<string> Required { get; private init; } = new HashSet<string>();

    /// <summary>The CLR type the bound value has (what SK reports as the parameter's type).</summary>
    public Type ClrType => Kind switch
    {
        ParameterKind.Integer => typeof(long),
        ParameterKind.Number => typeof(double),
        ParameterKind.Boolean => typeof(bool),
        ParameterKind.Array => typeof(IList<object>),
        ParameterKind.Object => typeof(IDictionary<string, object>),
        _ => typeof(string),
    };

    /// <summary>A plain string parameter (the auto-injected <c>message</c>).</summary>
    public static ParameterSchema Text(string description) => new(ParameterKind.String, new ActionParameter { Description = description });

    /// <summary>Validates and compiles <paramref name="parameter"/>; problems are added to <paramref name="errors"/>, prefixed with <paramref name="label"/>.</summary>
    public static ParameterSchema? Compile(ActionParameter parameter, string label, List<string> errors) => Compile(parameter, label, errors, depth: 1);

    private static ParameterSchema? Compile(ActionParameter parameter, string label, List<string> errors, int depth)
    {
        if (!TryParseKind(parameter.Type, out var kind))
        {
            errors.Add($"{label} has Type '{parameter.Type}'; use string, integer, number, boolean, array or object.");
            return null;
        }

        var before = errors.Count;
        CheckApplies(parameter.Pattern is not null || parameter.MinLength is not null || parameter.MaxLength is not null,
            kind == ParameterKind.String, $"{label}: Pattern, MinLength and MaxLength apply to string parameters only.", errors);
        CheckApplies(parameter.Minimum is not null || parameter.Maximum is not null,
            kind is ParameterKind.Integer or ParameterKind.Number, $"{label}: Minimum and Maximum apply to integer and number parameters only.", errors);
        CheckApplies(parameter.MinItems is not null || parameter.MaxItems is not null || parameter.Items is not null,
            kind == ParameterKind.Array, $"{label}: Items, MinItems and MaxItems apply to array parameters only.", errors);
        CheckApplies(parameter.Properties.Count > 0 || parameter.Required.Count > 0,
            kind == ParameterKind.Object, $"{label}: Properties and Required apply to object parameters only.", errors);
        CheckApplies(parameter.Enum.Count > 0,
            kind is not (ParameterKind.Array or ParameterKind.Object), $"{label}: Enum applies to string, integer, number and boolean parameters only.", errors);
        CheckRange(parameter.MinLength, parameter.MaxLength, "MinLength", "MaxLength", label, errors);
        CheckRange(parameter.MinItems, parameter.MaxItems, "MinItems", "MaxItems", label, errors);
        if (parameter.Minimum is { } min && parameter.Maximum is { } max && min > max)
        {
            errors.Add($"{label}: Minimum {min.ToString(CultureInfo.InvariantCulture)} is greater than Maximum {max.ToString(CultureInfo.InvariantCulture)}.");
        }

        Regex? pattern = null;
        if (parameter.Pattern is not null)
        {
            try
            {
                pattern = PatternFor(parameter.Pattern);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"{label} has an invalid Pattern: {ex.Message}");
            }
        }

        var enumValues = new List<object>(parameter.Enum.Count);
        foreach (var text in parameter.Enum)
        {
            if (ParseScalar(kind, text) is { } value)
            {
                enumValues.Add(value);
            }
            else
            {
                errors.Add($"{label}: Enum value '{text}' is not a valid {Describe(kind)}.");
            }
        }

        ParameterSchema? items = null;
        var properties = new List<KeyValuePair<string, ParameterSchema>>();
        if (depth >= MaxDepth && kind is ParameterKind.Array or ParameterKind.Object)
        {
            errors.Add($"{label} nests arrays and objects more than {MaxDepth} levels deep; flatten it.");
        }
        else if (kind == ParameterKind.Array)
        {
            if (parameter.Items is null)
            {
                errors.Add($"{label} is an array without Items: say what each item is, for example \"Items\": {{ \"Type\": \"string\" }}.");
            }
            else
            {
                items = Compile(parameter.Items, $"{label}.Items", errors, depth + 1);
            }
        }
        else if (kind == ParameterKind.Object)
        {
            if (parameter.Properties.Count == 0)
            {
                errors.Add($"{label} is an object without Properties: declare the fields the model fills in.");
            }

            foreach (var (name, property) in parameter.Properties)
            {
                if (!IdentifierPattern().IsMatch(name))
                {
                    errors.Add($"{label}: property '{name}' must be an identifier (letters, digits and '_', not starting with a digit) so templates can use it.");
                    continue;
                }

                if (Compile(property, $"{label}.{name}", errors, depth + 1) is { } compiled)
                {
                    properties.Add(new(name, compiled));
                }
            }

            foreach (var required in parameter.Required.Where(r => !parameter.Properties.ContainsKey(r)))
            {
                errors.Add($"{label}: Required lists '{required}', which is not under its Properties.");
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ParameterSchema(kind, parameter)
        {
            Enum = enumValues,
            Pattern = pattern,
            Items = items,
            Properties = properties,
            Required = new HashSet<string>(parameter.Required, StringComparer.Ordinal),
        };
    }

    /// <summary>The parameter's JSON Schema, as sent to the model.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Write(Utf8JsonWriter writer)
    {
        var p = Definition;
        writer.WriteStartObject();
        writer.WriteString("type", KindName(Kind));
        if (p.Description is not null)
        {
            writer.WriteString("description", p.Description);
        }

        if (Enum.Count > 0)
        {
            writer.WriteStartArray("enum");
            foreach (var value in Enum)
            {
                WriteScalar(writer, value);
            }

            writer.WriteEndArray();
        }

        WriteIfSet(writer, "pattern", p.Pattern);
        WriteIfSet(writer, "minLength", p.MinLength);
        WriteIfSet(writer, "maxLength", p.MaxLength);
        WriteIfSet(writer, "minItems", p.MinItems);
        WriteIfSet(writer, "maxItems", p.MaxItems);
        if (p.Minimum is { } minimum)
        {
            WriteScalar(writer, "minimum", minimum);
        }

        if (p.Maximum is { } maximum)
        {
            WriteScalar(writer, "maximum", maximum);
        }

        if (Items is not null)
        {
            writer.WritePropertyName("items");
            Items.Write(writer);
        }

        if (Kind == ParameterKind.Object)
        {
            writer.WriteStartObject("properties");
            foreach (var (name, property) in Properties)
            {
                writer.WritePropertyName(name);
                property.Write(writer);
            }

            writer.WriteEndObject();
            if (Required.Count > 0)
            {
                writer.WriteStartArray("required");
                foreach (var (name, _) in Properties.Where(pair => Required.Contains(pair.Key)))
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Binds one argument. Returns <see langword="false"/> when the argument is absent (null, JSON null, or blank text);
    /// otherwise the typed value, with any constraint it breaks added to <paramref name="problems"/>.
    /// </summary>
    public bool TryBind(object? raw, string field, List<ArgumentProblem> problems, out object? value)
    {
        value = null;
        switch (raw)
        {
            case null:
            case JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
            case string text when string.IsNullOrWhiteSpace(text):
                return false;
            case string text:
                value = BindText(text.Trim(), field, problems);
                return true;
            case JsonElement element:
                value = BindJson(element, field, problems);
                return true;
            case bool or long or int or short or byte or sbyte or ushort or uint or ulong or double or float or decimal when Kind != ParameterKind.String:
                value = BindText(Convert.ToString(raw, CultureInfo.InvariantCulture)!, field, problems);
                return true;
            case IFormattable formattable when Kind == ParameterKind.String:
                value = BindText(formattable.ToString(null, CultureInfo.InvariantCulture), field, problems);
                return true;
            default:
                // Anything else passed from code (lists, dictionaries, records): read it as the JSON it serializes to.
                value = BindJson(JsonSerializer.SerializeToElement(raw, raw.GetType()), field, problems);
                return true;
        }
    }

    /// <summary>Text from SK's connectors: <c>"False"</c>, <c>"3"</c>, or JSON text for arrays and objects.</summary>
    private object? BindText(string text, string field, List<ArgumentProblem> problems)
    {
        if (Kind is ParameterKind.Array or ParameterKind.Object)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return BindJson(document.RootElement, field, problems);
            }
            catch (JsonException)
            {
                problems.Add(new(field, $"must be a JSON {KindName(Kind)}"));
                return null;
            }
        }

        if (ParseScalar(Kind, text) is not { } value)
        {
            problems.Add(new(field, $"must be {Article(Kind)} {Describe(Kind)}, not '{Clip(text)}'"));
            return null;
        }

        Check(value, field, problems);
        return value;
    }

    private object? BindJson(JsonElement element, string field, List<ArgumentProblem> problems)
    {
        switch (Kind)
        {
            case ParameterKind.String when element.ValueKind is JsonValueKind.String:
                return BindText(element.GetString()!.Trim(), field, problems);
            case ParameterKind.String when element.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                // A model that writes a code as a number still means the digits.
                return BindText(element.GetRawText(), field, problems);
            case ParameterKind.Integer or ParameterKind.Number when element.ValueKind is JsonValueKind.Number:
                return BindText(element.GetRawText(), field, problems);
            case ParameterKind.Boolean when element.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return BindText(element.ValueKind == JsonValueKind.True ? "true" : "false", field, problems);
            case ParameterKind.Integer or ParameterKind.Number or ParameterKind.Boolean when element.ValueKind is JsonValueKind.String:
                return BindText(element.GetString()!.Trim(), field, problems);
            case ParameterKind.Array when element.ValueKind is JsonValueKind.Array:
                return BindArray(element, field, problems);
            case ParameterKind.Object when element.ValueKind is JsonValueKind.Object:
                return BindObject(element, field, problems);
            default:
                problems.Add(new(field, $"must be {Article(Kind)} {Describe(Kind)}, not a JSON {element.ValueKind.ToString().ToLowerInvariant()}"));
                return null;
        }
    }

    private ScriptArray BindArray(JsonElement element, string field, List<ArgumentProblem> problems)
    {
        var list = new ScriptArray();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var itemField = $"{field}[{index++}]";
            if (Items!.TryBind(item, itemField, problems, out var value))
            {
                list.Add(value);
            }
            else
            {
                problems.Add(new(itemField, "must not be empty"));
            }
        }

        var p = Definition;
        if (list.Count < (p.MinItems ?? 0) || list.Count > (p.MaxItems ?? int.MaxValue))
        {
            problems.Add(new(field, $"must have {Bounds(p.MinItems, p.MaxItems)} items (it has {list.Count})"));
        }

        return list;
    }

    private ScriptObject BindObject(JsonElement element, string field, List<ArgumentProblem> problems)
    {
        var result = new ScriptObject(StringComparer.Ordinal);
        foreach (var (name, property) in Properties)
        {
            var present = element.TryGetProperty(name, out var raw);
            if (present && property.TryBind(raw, $"{field}.{name}", problems, out var value))
            {
                result.SetValue(name, value, readOnly: false);
            }
            else if (Required.Contains(name))
            {
                problems.Add(new($"{field}.{name}", "is required"));
            }
            else
            {
                // Declared but not given: present and empty, so templates can test it.
                result.SetValue(name, null, readOnly: false);
            }
        }

        return result;
    }

    private void Check(object value, string field, List<ArgumentProblem> problems)
    {
        var p = Definition;
        if (Enum.Count > 0 && !Enum.Contains(value))
        {
            problems.Add(new(field, $"must be one of {string.Join(", ", Enum.Select(e => $"'{Format(e)}'"))}"));
        }

        if (value is string text)
        {
            if (p.MinLength is not null || p.MaxLength is not null)
            {
                var length = CodePoints(text);
                if (length < (p.MinLength ?? 0) || length > (p.MaxLength ?? int.MaxValue))
                {
                    problems.Add(new(field, $"must be {Bounds(p.MinLength, p.MaxLength)} characters long (it is {length})"));
                }
            }

            if (Pattern is not null && !Matches(Pattern, text))
            {
                problems.Add(new(field, $"must match the pattern {Pattern}"));
            }
        }
        else if (value is long or double)
        {
            var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (number < (p.Minimum ?? double.NegativeInfinity) || number > (p.Maximum ?? double.PositiveInfinity))
            {
                problems.Add(new(field, $"must be {Bounds(p.Minimum, p.Maximum)} (it is {Format(value)})"));
            }
        }
    }

    /// <summary>
    /// The model's values are untrusted, so a pattern runs in linear time (<see cref="RegexOptions.NonBacktracking"/>,
    /// which needs no timeout and is fast); one that needs backtracking (back-references, look-arounds) runs with a timeout.
    /// </summary>
    private static Regex PatternFor(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternTimeout);
        }
    }

    private static bool Matches(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static object? ParseScalar(ParameterKind kind, string text)
    {
        switch (kind)
        {
            case ParameterKind.String:
                return text;
            case ParameterKind.Boolean:
                return bool.TryParse(text, out var flag) ? flag : null;
            case ParameterKind.Integer:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    return integer;
                }

                // JSON allows 3.0 and 3e0 for an integer.
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact)
                    && exact == decimal.Truncate(exact) && exact is >= long.MinValue and <= long.MaxValue
                    ? (long)exact : null;
            case ParameterKind.Number:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : null;
            default:
                return null;
        }
    }

    private static bool TryParseKind(string? type, out ParameterKind kind)
    {
        kind = ParameterKind.String;
        return !string.IsNullOrEmpty(type) && System.Enum.TryParse(type, ignoreCase: true, out kind) && System.Enum.IsDefined(kind)
            && !type.Any(char.IsDigit);
    }

    private static void CheckApplies(bool used, bool applies, string error, List<string> errors)
    {
        if (used && !applies)
        {
            errors.Add(error);
        }
    }

    private static void CheckRange(int? min, int? max, string minName, string maxName, string label, List<string> errors)
    {
        if (min < 0 || max < 0)
        {
            errors.Add($"{label}: {minName} and {maxName} must not be negative.");
        }
        else if (min > max)
        {
            errors.Add($"{label}: {minName} {min} is greater than {maxName} {max}.");
        }
    }

    private static string KindName(ParameterKind kind) => kind.ToString().ToLowerInvariant();

    private static string Describe(ParameterKind kind) => kind switch
    {
        ParameterKind.Integer => "integer (a whole number)",
        ParameterKind.Boolean => "boolean (true or false)",
        _ => KindName(kind),
    };

    private static string Article(ParameterKind kind) => kind is ParameterKind.Integer or ParameterKind.Array or ParameterKind.Object ? "an" : "a";

    private static string Bounds<T>(T? min, T? max)
        where T : struct, IFormattable =>
        (min, max) switch
        {
            ({ } lo, { } hi) => $"between {lo.ToString(null, CultureInfo.InvariantCulture)} and {hi.ToString(null, CultureInfo.InvariantCulture)}",
            ({ } lo, null) => $"at least {lo.ToString(null, CultureInfo.InvariantCulture)}",
            (null, { } hi) => $"at most {hi.ToString(null, CultureInfo.InvariantCulture)}",
            _ => "any number of",
        };

    private static string Format(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static void WriteScalar(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case bool flag: writer.WriteBooleanValue(flag); break;
            case long integer: writer.WriteNumberValue(integer); break;
            case double number: writer.WriteNumberValue(number); break;
            default: writer.WriteStringValue(Format(value)); break;
        }
    }

    private void WriteScalar(Utf8JsonWriter writer, string name, double value)
    {
        if (Kind == ParameterKind.Integer && value == Math.Floor(value) && Math.Abs(value) < long.MaxValue)
        {
            writer.WriteNumber(name, (long)value);
        }
        else
        {
            writer.WriteNumber(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();
}
