using System.Text.RegularExpressions;
using Scriban;
using Scriban.Functions;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace InCallMessaging.SemanticKernel.Templates;

/// <summary>
/// A message template parsed once at start-up: <c>&lt;name&gt;</c> placeholders and Scriban <c>{{ ... }}</c> expressions.
/// It knows every variable it reads, so a value missing at send time is found before anything is rendered.
/// <c>\&lt;</c> writes a literal <c>&lt;</c>, so <c>Reply \&lt;YES&gt; to confirm</c> sends <c>Reply &lt;YES&gt; to confirm</c>.
/// </summary>
internal sealed partial class MessageTemplate
{
    private readonly Template? _template;
    private readonly string? _literal;

    private MessageTemplate(string source, Template? template, string? literal, IReadOnlyList<string> variables)
    {
        Source = source;
        _template = template;
        _literal = literal;
        Variables = variables;
    }

    /// <summary>The template as configured.</summary>
    public string Source { get; }

    /// <summary>The names of the variables it reads (each once, in order of first use).</summary>
    public IReadOnlyList<string> Variables { get; }

    /// <summary>Parses a template, or explains where its syntax is wrong (1-based line and column of the source).</summary>
    public static bool TryParse(string source, out MessageTemplate? template, out string? error)
    {
        template = null;
        error = null;
        var (converted, edits) = ConvertAnglePlaceholders(source);
        if (!converted.Contains("{{", StringComparison.Ordinal))
        {
            template = new MessageTemplate(source, null, converted, []);
            return true;
        }

        if (FindUnclosedExpression(converted) is { } unclosed)
        {
            var (line, column) = OriginalPosition(source, unclosed, edits);
            error = $"syntax error at line {line}, column {column}: '{{{{' is never closed with '}}}}'";
            return false;
        }

        var parsed = Template.Parse(converted);
        if (parsed.HasErrors)
        {
            var first = parsed.Messages.First(m => m.Type == ParserMessageType.Error);
            var (line, column) = OriginalPosition(source, first.Span.Start.Offset, edits);
            error = $"syntax error at line {line}, column {column}: {first.Message}";
            return false;
        }

        var collector = new VariableCollector();
        parsed.Page?.Accept(collector);
        var variables = collector.Read.Where(v => !collector.Assigned.Contains(v) && !IsBuiltin(v)).Distinct().ToArray();
        template = new MessageTemplate(source, parsed, null, variables);
        return true;
    }

    /// <summary>Renders with the given values; every name in <see cref="Variables"/> must have one.</summary>
    public string Render(IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        if (_literal is not null)
        {
            return _literal;
        }

        var renderer = Renderer.Current ??= new Renderer();
        return renderer.Render(_template!, values);
    }

    private static bool IsBuiltin(string name) => BuiltinNames.Contains(name);

    private static readonly HashSet<string> BuiltinNames = new(new BuiltinFunctions().Keys, StringComparer.Ordinal)
    {
        "this", "empty", "null", "true", "false",
    };

    /// <summary>The offset of a <c>{{</c> with no <c>}}</c> after it (Scriban reads such a tail as code without complaint).</summary>
    private static int? FindUnclosedExpression(string text)
    {
        var index = 0;
        while ((index = text.IndexOf("{{", index, StringComparison.Ordinal)) >= 0)
        {
            var close = text.IndexOf("}}", index + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return index;
            }

            index = close + 2;
        }

        return null;
    }

    /// <summary>
    /// Turns each <c>&lt;name&gt;</c> into <c>{{name}}</c> and each escaped <c>\&lt;</c> into a literal <c>&lt;</c>, keeping
    /// where each edit happened (its offset in the converted text and how much longer it made the text).
    /// </summary>
    private static (string Converted, List<(int At, int Delta)> Edits) ConvertAnglePlaceholders(string source)
    {
        var edits = new List<(int At, int Delta)>();
        var builder = new System.Text.StringBuilder(source.Length + 8);
        var last = 0;
        foreach (Match match in AnglePlaceholder().Matches(source))
        {
            builder.Append(source, last, match.Index - last);
            edits.Add((builder.Length, match.Groups[1].Success ? 2 : -1));
            builder.Append(match.Groups[1].Success ? "{{" + match.Groups[1].Value + "}}" : "<");
            last = match.Index + match.Length;
        }

        builder.Append(source, last, source.Length - last);
        return (builder.ToString(), edits);
    }

    /// <summary>Maps an offset in the converted text back to a line and column of the configured text.</summary>
    private static (int Line, int Column) OriginalPosition(string source, int convertedOffset, List<(int At, int Delta)> edits)
    {
        var offset = convertedOffset;
        foreach (var (at, delta) in edits)
        {
            if (at < convertedOffset)
            {
                offset -= delta;
            }
        }

        offset = Math.Clamp(offset, 0, source.Length);
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return (line, column);
    }

    [GeneratedRegex(@"\\<|<([A-Za-z_][A-Za-z0-9_]*)>", RegexOptions.CultureInvariant)]
    private static partial Regex AnglePlaceholder();

    private sealed class VariableCollector : ScriptVisitor
    {
        public List<string> Read { get; } = [];

        public HashSet<string> Assigned { get; } = new(StringComparer.Ordinal);

        public override void Visit(ScriptVariableGlobal node)
        {
            Read.Add(node.Name);
            base.Visit(node);
        }

        public override void Visit(ScriptMemberExpression node)
        {
            // In `string.upcase` or `caller.name` only the target is a variable; the member is a name on it.
            node.Target?.Accept(this);
        }

        public override void Visit(ScriptForStatement node)
        {
            if (node.Variable is ScriptVariable loopVariable)
            {
                Assigned.Add(loopVariable.Name);
            }

            base.Visit(node);
        }

        public override void Visit(ScriptAssignExpression node)
        {
            if (node.Target is ScriptVariable target)
            {
                Assigned.Add(target.Name);
            }

            base.Visit(node);
        }
    }

    /// <summary>
    /// A per-thread render context. Building a <see cref="TemplateContext"/> costs tens of microseconds and kilobytes,
    /// so each thread keeps one and swaps in the values of each render.
    /// </summary>
    private sealed class Renderer
    {
        [ThreadStatic]
        public static Renderer? Current;

        private readonly TemplateContext _context;
        private readonly ScriptObject _values = new(StringComparer.Ordinal);

        public Renderer()
        {
            _context = new TemplateContext
            {
                StrictVariables = false,
                EnableRelaxedMemberAccess = true,
                LoopLimit = 100,
                RecursiveLimit = 20,
                LimitToString = 4096,
            };
        }

        public string Render(Template template, IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            _values.Clear();
            for (var i = 0; i < values.Count; i++)
            {
                _values.SetValue(values[i].Key, values[i].Value, readOnly: false);
            }

            _context.PushGlobal(_values);
            try
            {
                return template.Render(_context);
            }
            finally
            {
                // The context keeps its output between renders: clear it, or the next message starts with this one.
                ((StringBuilderOutput)_context.Output).Builder.Clear();
                _context.PopGlobal();
                _values.Clear();
            }
        }
    }
}
