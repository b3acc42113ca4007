using InCallMessaging.SemanticKernel.Templates;

namespace InCallMessaging.SemanticKernel.Tests.Core.Templates;

/// <summary>Parsing (once), the variables a template reads, syntax error positions and rendering.</summary>
public sealed class MessageTemplateTests
{
    private static MessageTemplate Parse(string source)
    {
        Assert.True(MessageTemplate.TryParse(source, out var template, out var error), error);
        return template!;
    }

    private static string ErrorOf(string source)
    {
        Assert.False(MessageTemplate.TryParse(source, out var template, out var error));
        Assert.Null(template);
        return error!;
    }

    private static string Render(MessageTemplate template, params (string Key, string Value)[] values) =>
        template.Render([.. values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value))]);

    [Fact]
    public void Plain_text_has_no_variables_and_renders_as_is()
    {
        var template = Parse("Thanks for calling! 5 < 6 > 4 and a <b c> tag.");

        Assert.Empty(template.Variables);
        Assert.Equal("Thanks for calling! 5 < 6 > 4 and a <b c> tag.", Render(template));
    }

    [Fact]
    public void Angle_placeholders_and_expressions_are_variables_in_order_of_first_use()
    {
        var template = Parse("Hi <name>, code {{ code }} for <name> at {{ place }}{{ if code == '42' }}!{{ end }}");

        Assert.Equal(["name", "code", "place"], template.Variables);
        Assert.Equal("Hi Ann, code 42 for Ann at Rome!", Render(template, ("name", "Ann"), ("code", "42"), ("place", "Rome")));
    }

    [Fact]
    public void Assigned_and_loop_variables_and_literals_are_not_reported()
    {
        var template = Parse("{{ x = 2 }}{{ for i in (1..x) }}{{ i }}{{ end }} {{ name }} {{ empty }} {{ null }} {{ true }}");

        Assert.Equal(["name"], template.Variables);
        Assert.StartsWith("12 Ann ", Render(template, ("name", "Ann")), StringComparison.Ordinal);
    }

    [Fact]
    public void Builtin_functions_are_not_reported_as_variables()
    {
        var template = Parse("{{ name | string.upcase }} {{ string.downcase name }} {{ date.now | date.to_string '%Y' }} {{ -3 | math.abs }}");

        Assert.Equal(["name"], template.Variables);
        Assert.StartsWith("ANN ann ", Render(template, ("name", "Ann")), StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_error_reports_line_and_column()
    {
        Assert.StartsWith("syntax error at line 1, column 10:", ErrorOf("x {{ 1 + }} y"), StringComparison.Ordinal);
        Assert.StartsWith("syntax error at line 3, column 9:", ErrorOf("a\nb\nc {{ if }}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_error_column_counts_angle_placeholders_as_written()
    {
        // The "*" is the 14th character as written, although "<a><b>" becomes "{{a}}{{b}}" internally.
        Assert.StartsWith("syntax error at line 1, column 14:", ErrorOf("<a><b> {{ x +* }}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Parsed_template_renders_many_times_without_leaking_values()
    {
        var template = Parse("[{{ name }}|<code>]");

        Assert.Equal("[Ann|1]", Render(template, ("name", "Ann"), ("code", "1")));
        Assert.Equal("[Bob|2]", Render(template, ("name", "Bob"), ("code", "2")));
        Assert.Equal("[|3]", Render(template, ("code", "3")));
    }

    [Fact]
    public async Task Renders_concurrently_on_many_threads()
    {
        var template = Parse("Code <code> for {{ name | string.upcase }}");

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            (i, Render(template, ("code", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("name", "n" + i))))));

        foreach (var (i, text) in results)
        {
            Assert.Equal($"Code {i} for N{i}", text);
        }
    }

    [Fact]
    public void Values_are_inserted_as_text_not_evaluated()
    {
        var template = Parse("Note: <note>");

        Assert.Equal("Note: {{ 1 + 1 }} <x>", Render(template, ("note", "{{ 1 + 1 }} <x>")));
    }
}
