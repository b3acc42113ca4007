using System.Text.Json;
using InCallMessaging.SemanticKernel.Functions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel;

/// <summary>What one after-call action did when the model called it in <see cref="InCallMessagingRuntime.RunAfterCallAsync"/>.</summary>
/// <param name="ActionName">The action's name.</param>
/// <param name="Status">The result's status: <c>sent</c>, <c>blocked</c>, <c>failed</c>, <c>missing_values</c>, ...</param>
/// <param name="Result">The JSON result the model got.</param>
public sealed record AfterCallActionResult(string ActionName, string Status, string Result);

/// <summary>The model's one pass over a finished call's transcript with only the after-call actions offered.</summary>
internal static class AfterCallRun
{
    /// <summary>The <see cref="Kernel.Data"/> key that marks a kernel of an after-call run: after-call actions send at once on the ended call.</summary>
    public const string DataKey = "InCallMessaging.AfterCallRun";

    /// <summary>What the model is told after the transcript.</summary>
    public const string Instruction =
        "The call has ended; the conversation above is its transcript. Nobody is listening now. Call each available function whose description "
        + "applies to what happened on the call, with values taken only from the transcript; call none if none applies. Do not write a reply.";

    /// <summary>
    /// Asks the model once, offering the after-call actions of <paramref name="actions"/> not in <paramref name="used"/>
    /// (the actions the call already used, scheduled or sent: offered again, they could send a second copy).
    /// </summary>
    public static async Task<IReadOnlyList<AfterCallActionResult>> RunAsync(InCallActionSet actions, IReadOnlySet<string> used, CallSession session,
        ChatHistory history, IChatCompletionService chatService, Kernel? kernel, CancellationToken cancellationToken)
    {
        var afterCall = actions.Where(action => action.When == ActionTiming.AfterCall && !used.Contains(action.Name));
        if (afterCall.ActionNames.Count == 0)
        {
            return [];
        }

        var runKernel = kernel?.Clone() ?? new Kernel();
        runKernel.Plugins.Clear();
        runKernel.Plugins.Add(afterCall.Plugin);
        runKernel.Data[CallSessionKernelExtensions.DataKey] = session;
        runKernel.Data[DataKey] = true;

        var transcript = new ChatHistory(history);
        var before = transcript.Count;
        transcript.AddSystemMessage(Instruction);
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        await chatService.GetChatMessageContentsAsync(transcript, settings, runKernel, cancellationToken).ConfigureAwait(false);

        var results = new List<AfterCallActionResult>();
        foreach (var message in transcript.Skip(before))
        {
            foreach (var result in message.Items.OfType<FunctionResultContent>())
            {
                if (result.PluginName == afterCall.Plugin.Name && result.FunctionName is { } name && result.Result?.ToString() is { } json)
                {
                    results.Add(new AfterCallActionResult(name, StatusOf(json), json));
                }
            }
        }

        return results;
    }

    private static string StatusOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("status", out var status) && status.GetString() is { } word ? word : "unknown";
        }
        catch (JsonException)
        {
            // A function that threw returns its error text, not JSON.
            return ActionResult.Failed;
        }
    }
}
