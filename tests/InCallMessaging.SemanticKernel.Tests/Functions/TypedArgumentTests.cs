using System.Text.Json;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>
/// Typed parameters reach templates as their types, whether SK passed text (<c>"False"</c>, <c>"3"</c>) or
/// Microsoft.Extensions.AI passed a <see cref="JsonElement"/>; every constraint is checked before anything is said or sent.
/// </summary>
public sealed class TypedArgumentTests
{
    private static InCallMessageAction Booking(string body, Action<ActionParameters>? parameters = null)
    {
        var action = new InCallMessageAction
        {
            Name = "send_booking",
            Description = "Text the caller their booking.",
            Body = body,
            MessageBeforeAction = "Texting you the booking now.",
            Parameters = new ActionParameters(),
        };
        parameters?.Invoke(action.Parameters);
        return action;
    }

    private static ActionParameter Typed(string type, string description = "A value.") => new() { Type = type, Description = description };

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static async Task<(JsonElement Result, Harness Harness)> SendAsync(InCallMessageAction action, KernelArguments arguments)
    {
        var h = Harness.Start(action);
        return (await h.InvokeAsync(action.Name, arguments), h);
    }

    private static async Task<string?> RenderAsync(InCallMessageAction action, KernelArguments arguments)
    {
        var (result, h) = await SendAsync(action, arguments);
        Assert.Equal("sent", result.Status());
        return Assert.Single(h.Loopback.SentMessages).Message.Body;
    }

    public static TheoryData<object, string> Booleans => new()
    {
        { "False", "No survey." },
        { "false", "No survey." },
        { "True", "Survey link: x" },
        { Json("false"), "No survey." },
        { Json("true"), "Survey link: x" },
        { Json("\"false\""), "No survey." },
        { false, "No survey." },
    };

    [Theory]
    [MemberData(nameof(Booleans))]
    public async Task Boolean_false_renders_the_else_branch_from_every_argument_kind(object wantsSurvey, string expected)
    {
        var action = Booking("{{ if wants_survey }}Survey link: x{{ else }}No survey.{{ end }}",
            p => p.Properties["wants_survey"] = Typed("boolean"));

        Assert.Equal(expected, await RenderAsync(action, new KernelArguments { ["wants_survey"] = wantsSurvey }));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("3.0")]
    [InlineData("json")]
    public async Task Integer_arithmetic_renders_a_number(string kind)
    {
        var action = Booking("{{ count * 2 }} seats", p => p.Properties["count"] = Typed("integer"));
        object count = kind == "json" ? Json("3") : kind;

        Assert.Equal("6 seats", await RenderAsync(action, new KernelArguments { ["count"] = count }));
    }

    [Fact]
    public async Task Number_renders_with_invariant_culture()
    {
        var action = Booking("Total {{ amount * 2 }}", p => p.Properties["amount"] = Typed("number"));

        Assert.Equal("Total 5.5", await RenderAsync(action, new KernelArguments { ["amount"] = Json("2.75") }));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Array_of_scalars_reaches_the_template_as_a_list(bool asJsonElement)
    {
        var action = Booking("Items: {{ items | array.join ', ' }} ({{ items.size }})",
            p => p.Properties["items"] = new ActionParameter { Type = "array", Description = "What was ordered.", Items = Typed("string") });
        const string json = "[\"tea\",\"cake\"]";

        var body = await RenderAsync(action, new KernelArguments { ["items"] = asJsonElement ? Json(json) : json });

        Assert.Equal("Items: tea, cake (2)", body);
    }

    [Fact]
    public async Task Nested_object_fields_reach_the_template()
    {
        var address = new ActionParameter
        {
            Type = "object",
            Description = "Where to deliver.",
            Properties = { ["street"] = Typed("string"), ["city"] = Typed("string"), ["floor"] = Typed("integer") },
            Required = { "city" },
        };
        var action = Booking("Deliver to {{ address.street }}, {{ address.city }}{{ if address.floor }} floor {{ address.floor + 1 }}{{ end }}.",
            p => p.Properties["address"] = address);

        Assert.Equal("Deliver to 1 Main St, Springfield floor 3.",
            await RenderAsync(action, new KernelArguments { ["address"] = "{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"floor\":2}" }));
    }

    [Fact]
    public async Task Optional_parameter_left_out_renders_empty_or_the_templates_default()
    {
        var action = Booking("Table at <time>.{{ if note }} Note: {{ note }}{{ end }} <note>|{{ note ?? 'none' }}", p =>
        {
            p.Properties["time"] = Typed("string");
            p.Properties["note"] = Typed("string");
            p.Required.Add("time");
        });

        Assert.Equal("Table at 7pm. |none", await RenderAsync(action, new KernelArguments { ["time"] = "7pm" }));
    }

    [Fact]
    public async Task Required_parameter_left_out_is_still_missing_values()
    {
        var action = Booking("Table at <time>.", p =>
        {
            p.Properties["time"] = Typed("string");
            p.Required.Add("time");
        });

        var (result, h) = await SendAsync(action, []);

        Assert.Equal("missing_values", result.Status());
        Assert.Equal(["time"], result.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(h.Loopback.SentMessages);
    }

    public static TheoryData<string, ActionParameter, object, string> Violations => new()
    {
        { "type", Typed("integer"), "three", "must be an integer" },
        { "json type", Typed("integer"), Json("\"3 people\""), "must be an integer" },
        { "fraction", Typed("integer"), Json("2.5"), "must be an integer" },
        { "boolean", Typed("boolean"), "maybe", "must be a boolean" },
        { "enum", new ActionParameter { Description = "x", Enum = ["login", "payment"] }, "refund", "must be one of 'login', 'payment'" },
        { "integer enum", new ActionParameter { Type = "integer", Description = "x", Enum = ["1", "2"] }, Json("3"), "must be one of '1', '2'" },
        { "pattern", new ActionParameter { Description = "x", Pattern = "^[0-9]{6}$" }, "12345", "must match the pattern ^[0-9]{6}$" },
        { "minLength", new ActionParameter { Description = "x", MinLength = 3 }, "ab", "must be at least 3 characters long (it is 2)" },
        { "maxLength", new ActionParameter { Description = "x", MaxLength = 3 }, "abcd", "at most 3 characters long (it is 4)" },
        { "minimum", new ActionParameter { Type = "number", Description = "x", Minimum = 1 }, Json("0.5"), "must be at least 1" },
        { "maximum", new ActionParameter { Type = "integer", Description = "x", Maximum = 8 }, "9", "must be at most 8 (it is 9)" },
        { "array", new ActionParameter { Type = "array", Description = "x", Items = Typed("string") }, Json("{\"a\":1}"), "must be an array" },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Violation_returns_invalid_arguments_and_says_and_sends_nothing(string name, ActionParameter parameter, object value, string problem)
    {
        _ = name;
        var action = Booking("Value <value>.", p => p.Properties["value"] = parameter);

        var (result, h) = await SendAsync(action, new KernelArguments { ["value"] = value });

        Assert.Equal("invalid_arguments", result.Status());
        var error = Assert.Single(result.GetProperty("errors").EnumerateArray());
        Assert.Equal("value", error.Str("field"));
        Assert.Contains(problem, error.Str("problem"), StringComparison.Ordinal);
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
        Assert.Empty(h.Session.Messages);
    }

    [Fact]
    public async Task Nested_violations_name_their_path_and_are_all_listed()
    {
        var action = Booking("{{ guests | array.size }}", p => p.Properties["guests"] = new ActionParameter
        {
            Type = "array",
            Description = "The guests.",
            MaxItems = 2,
            Items = new ActionParameter
            {
                Type = "object",
                Properties = { ["name"] = Typed("string"), ["age"] = new ActionParameter { Type = "integer", Minimum = 0 } },
                Required = { "name" },
            },
        });

        var (result, _) = await SendAsync(action, new KernelArguments { ["guests"] = Json("[{\"name\":\"Ann\",\"age\":-1},{\"age\":3},{\"name\":\"Bo\"}]") });

        Assert.Equal("invalid_arguments", result.Status());
        var errors = result.GetProperty("errors").EnumerateArray().Select(e => (e.Str("field"), e.Str("problem"))).ToList();
        Assert.Contains(errors, e => e.Item1 == "guests[0].age" && e.Item2!.StartsWith("must be at least 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Item1 == "guests[1].name" && e.Item2 == "is required");
        Assert.Contains(errors, e => e.Item1 == "guests" && e.Item2!.Contains("at most 2 items", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_required_with_another_violation_lists_both_as_errors()
    {
        var action = Booking("<time> <count>", p =>
        {
            p.Properties["time"] = Typed("string");
            p.Properties["count"] = Typed("integer");
            p.Required.AddRange(["time", "count"]);
        });

        var (result, _) = await SendAsync(action, new KernelArguments { ["count"] = "many" });

        Assert.Equal("invalid_arguments", result.Status());
        Assert.Equal(["count", "time"], result.GetProperty("errors").EnumerateArray().Select(e => e.Str("field")));
    }

    [Fact]
    public void Schema_sent_to_the_model_is_typed_for_every_type()
    {
        var action = Booking("<count> <flag> <ratio> <tags> <where>", p =>
        {
            p.Properties["count"] = new ActionParameter { Type = "integer", Description = "c", Enum = ["1", "2"], Minimum = 1, Maximum = 2 };
            p.Properties["flag"] = new ActionParameter { Type = "boolean", Description = "f", Enum = ["true"] };
            p.Properties["ratio"] = new ActionParameter { Type = "number", Description = "r", Enum = ["0.5", "1.5"] };
            p.Properties["tags"] = new ActionParameter { Type = "array", Description = "t", Items = new ActionParameter { Type = "integer" }, MaxItems = 3 };
            p.Properties["where"] = new ActionParameter
            {
                Type = "object",
                Description = "w",
                Properties = { ["city"] = new ActionParameter { Type = "string", MinLength = 1 } },
                Required = { "city" },
            };
        });

        var parameters = InCallMessagingRuntime.Create(TestRuntime.Options(action)).Plugin[action.Name].Metadata.Parameters;
        JsonElement Schema(string name) => parameters.Single(p => p.Name == name).Schema!.RootElement;

        Assert.Equal([JsonValueKind.Number, JsonValueKind.Number], Schema("count").GetProperty("enum").EnumerateArray().Select(e => e.ValueKind));
        Assert.Equal(1, Schema("count").GetProperty("minimum").GetInt32());
        Assert.Equal(JsonValueKind.True, Schema("flag").GetProperty("enum")[0].ValueKind);
        Assert.Equal(1.5, Schema("ratio").GetProperty("enum")[1].GetDouble());
        Assert.Equal("array", Schema("tags").GetProperty("type").GetString());
        Assert.Equal("integer", Schema("tags").GetProperty("items").GetProperty("type").GetString());
        Assert.Equal(3, Schema("tags").GetProperty("maxItems").GetInt32());
        Assert.Equal("string", Schema("where").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("city", Schema("where").GetProperty("required")[0].GetString());
        Assert.Equal(typeof(long), parameters.Single(p => p.Name == "count").ParameterType);
        Assert.Equal(typeof(bool), parameters.Single(p => p.Name == "flag").ParameterType);
    }

    [Fact]
    public void Schema_problems_are_start_up_errors()
    {
        var action = Booking("<a> <b> <c> <d> <e>", p =>
        {
            p.Properties["a"] = new ActionParameter { Type = "array", Description = "a" };
            p.Properties["b"] = new ActionParameter { Type = "integer", Description = "b", Enum = ["one"] };
            p.Properties["c"] = new ActionParameter { Type = "integer", Description = "c", Pattern = "^1$" };
            p.Properties["d"] = new ActionParameter { Type = "object", Description = "d", Properties = { ["x"] = Typed("string") }, Required = { "y" } };
            p.Properties["e"] = new ActionParameter { Type = "date", Description = "e" };
        });

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(TestRuntime.Options(action)));

        Assert.Contains("parameter 'a' is an array without Items", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'b': Enum value 'one' is not a valid integer", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'c': Pattern, MinLength and MaxLength apply to string parameters only", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'd': Required lists 'y'", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'e' has Type 'date'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc1", "sent")]
    [InlineData("abcd", "invalid_arguments")]
    public async Task A_pattern_that_needs_backtracking_still_checks(string value, string status)
    {
        // Look-arounds cannot run in linear time; such a pattern runs with a timeout instead.
        var action = Booking("Ref <reference>.", p => p.Properties["reference"] = new ActionParameter { Description = "x", Pattern = "^(?=.*[0-9])[a-z0-9]+$" });

        var (result, _) = await SendAsync(action, new KernelArguments { ["reference"] = value });

        Assert.Equal(status, result.Status());
    }
}
