using System.Text.Json;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace VoiceBotHost.Agent;

/// <summary>
/// Wraps every tool call the model makes on a call's kernel. It traces the call and its JSON result (what the model
/// sees); before the one-time-code action it makes a fresh code on the server (<see cref="OneTimeCodes"/>), and after
/// it checks the answer the caller gave, so the result tells the model whether they are verified; and when an action
/// returns <c>waiting</c> (the caller spoke of something else while it waited) it ends the model's turn there, so the
/// caller's words get their own turn and one answer.
/// </summary>
public sealed class AgentToolFilter(AgentTrace trace, OneTimeCodes codes, VoiceBotSettings settings) : IAutoFunctionInvocationFilter
{
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        var call = context.Kernel.GetCallSession();
        var issuesCode = call is not null && string.Equals(context.Function.Name, settings.OneTimeCodeAction, StringComparison.Ordinal);
        if (call is not null)
        {
            trace.Publish(call.CallId, TraceKind.ToolCall, $"{ToolName(context.Function)} {Arguments(context.Arguments)}");
        }

        if (issuesCode)
        {
            codes.Issue(call!);
        }

        await next(context);

        var json = context.Result.GetValue<object>()?.ToString() ?? "";
        var result = Parse(json);
        if (issuesCode && result is not null && (string?)result["status"] is "replied" or "answered_by_voice")
        {
            var check = codes.Check(call!, (string?)result["reply"] ?? "");
            result["code_check"] = JsonNode.Parse(VerificationPlugin.Describe(check, codes.AttemptsLeft(call!)));
            json = result.ToJsonString();
            context.Result = new FunctionResult(context.Result, json);
        }

        if ((string?)result?["status"] == "waiting")
        {
            context.Terminate = true;
        }

        if (call is not null)
        {
            trace.Publish(call.CallId, TraceKind.ToolResult, result?.ToJsonString(Readable) ?? json);
        }
    }

    /// <summary>For the trace only: "+1******0123" rather than "\u002B1******0123".</summary>
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The name the model calls it by: <c>messaging-send_otp</c>.</summary>
    private static string ToolName(KernelFunction function) =>
        function.PluginName is { Length: > 0 } plugin ? $"{plugin}-{function.Name}" : function.Name;

    private static string Arguments(KernelArguments? arguments)
    {
        if (arguments is null || arguments.Count == 0)
        {
            return "{}";
        }

        var values = new JsonObject();
        foreach (var (name, value) in arguments)
        {
            values[name] = value switch
            {
                null => null,
                JsonElement element => JsonNode.Parse(element.GetRawText()),
                _ => JsonValue.Create(value.ToString()),
            };
        }

        return values.ToJsonString();
    }

    private static JsonObject? Parse(string json)
    {
        try
        {
            return json.StartsWith('{') ? JsonNode.Parse(json) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
