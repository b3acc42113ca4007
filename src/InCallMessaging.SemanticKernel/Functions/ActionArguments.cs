using InCallMessaging.SemanticKernel.Actions;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// The values one invocation renders with: the model's arguments bound and checked against the action's schema, and
/// the call variables its templates read. Found before anything is said or sent.
/// </summary>
/// <param name="Values">The values the templates (and spoken lines) render with.</param>
/// <param name="ModelText">The <c>message</c> argument, for an action without a body.</param>
/// <param name="Problems">Arguments that break the schema (<c>invalid_arguments</c>); the required ones missing are listed too.</param>
/// <param name="Missing">Required values not given (<c>missing_values</c>), in the order the templates use them.</param>
internal readonly record struct ActionArguments(
    List<KeyValuePair<string, object?>> Values,
    string? ModelText,
    List<ArgumentProblem>? Problems,
    List<string>? Missing)
{
    /// <summary>Where a thread collects problems while binding; copied out only when there are some (binding is synchronous).</summary>
    [ThreadStatic]
    private static List<ArgumentProblem>? t_problems;

    /// <summary>Binds <paramref name="arguments"/> for <paramref name="action"/> on <paramref name="session"/>.</summary>
    public static ActionArguments Bind(CompiledAction action, CallSession session, KernelArguments arguments)
    {
        var values = new List<KeyValuePair<string, object?>>(action.Variables.Length);
        var scratch = t_problems ??= [];
        scratch.Clear();
        List<string>? absent = null;
        string? modelText = null;
        foreach (var (name, schema) in action.Parameters)
        {
            arguments.TryGetValue(name, out var raw);
            if (schema.TryBind(raw, name, scratch, out var value))
            {
                modelText = name == CallVariables.Message ? value as string : modelText;
            }
            else if (action.RequiredParameters.Contains(name))
            {
                (absent ??= []).Add(name);
            }

            // An optional parameter the model left out renders empty (or as the template's own default).
            if (action.RenderedParameters.Contains(name))
            {
                values.Add(new(name, value));
            }
        }

        if (scratch.Count > 0)
        {
            List<ArgumentProblem> problems = [.. scratch];
            scratch.Clear();
            foreach (var name in absent ?? [])
            {
                problems.Add(new(name, "is required"));
            }

            return new ActionArguments(values, modelText, problems, null);
        }

        // What is missing, in the order the templates use it, then required parameters no template uses.
        List<string>? missing = null;
        foreach (var name in action.Variables)
        {
            if (action.ParameterNames.Contains(name))
            {
                if (absent?.Contains(name) == true)
                {
                    (missing ??= []).Add(name);
                }

                continue;
            }

            var value = session.GetVariable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                (missing ??= []).Add(name);
            }
            else
            {
                values.Add(new(name, value));
            }
        }

        foreach (var name in absent ?? [])
        {
            if (missing?.Contains(name) != true)
            {
                (missing ??= []).Add(name);
            }
        }

        // A call variable only a spoken line reads may be unset: the line is then skipped, the send goes on.
        foreach (var name in action.SpokenVariables)
        {
            if (!action.ParameterNames.Contains(name) && !action.Variables.Contains(name) && session.GetVariable(name) is { Length: > 0 } spokenValue)
            {
                values.Add(new(name, spokenValue));
            }
        }

        return new ActionArguments(values, modelText, null, missing);
    }
}
