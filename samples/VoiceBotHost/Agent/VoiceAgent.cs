using System.Text;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace VoiceBotHost.Agent;

/// <summary>How one agent turn ended, and what it said.</summary>
public sealed record TurnResult(string Said, bool Interrupted = false, bool Failed = false);

/// <summary>Where a turn's spoken tokens go (the ConversationRelay socket).</summary>
public interface ITokenSink
{
    Task SendTokenAsync(string token, bool last, CancellationToken cancellationToken);
}

/// <summary>
/// Runs one agent turn: queued text replies and the caller's words go into the history, then SK's chat completion
/// streams the answer with automatic function calling (the plugin's actions), token by token, to the caller.
/// </summary>
public sealed class VoiceAgent(ILogger<VoiceAgent> logger, ReplyAttachments? attachments = null, AgentTrace? trace = null)
{
    public const string Apology = "Sorry, I'm having trouble right now. Could you say that again?";

    private static readonly OpenAIPromptExecutionSettings Settings = new()
    {
        FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
    };

    /// <param name="callerLine">What the caller said or keyed; null when a text reply alone prompts the turn.</param>
    public async Task<TurnResult> RunTurnAsync(Kernel kernel, CallSession call, ChatHistory history, string? callerLine,
        ITokenSink speech, CancellationToken cancellationToken)
    {
        // Replies texted since the last turn came before what the caller says now. Applying them here, at a turn
        // boundary, is what keeps them from landing between a tool call and its result.
        var applied = call.ApplyPendingReplies(history);
        foreach (var line in history.Skip(history.Count - applied))
        {
            // The moment a text (or a delivery status) becomes part of what the model reads.
            trace?.Publish(call.CallId, TraceKind.HistoryLine, line.Content ?? "");
        }

        if (applied > 0 && attachments is not null)
        {
            // A photo texted back: fetched with the provider's credentials, and shown to a real model.
            await attachments.AddNewAsync(call, history, cancellationToken);
        }

        if (callerLine is not null)
        {
            history.AddUserMessage(callerLine);
        }
        else if (applied == 0)
        {
            return new TurnResult("");
        }

        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var answer = new StringBuilder();
        var spoke = false;
        var historySize = history.Count;
        try
        {
            await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, Settings, kernel, cancellationToken))
            {
                // SK appended tool calls and results: what streams from here on is the answer after them.
                if (history.Count != historySize)
                {
                    historySize = history.Count;
                    answer.Clear();
                }

                // A tool that ends the turn (a "waiting" result) comes back as the last chunk: it is for the model, not the caller.
                if (chunk.Role == AuthorRole.Tool)
                {
                    continue;
                }

                if (!string.IsNullOrEmpty(chunk.Content))
                {
                    answer.Append(chunk.Content);
                    spoke = true;
                    await speech.SendTokenAsync(chunk.Content, last: false, cancellationToken);
                }
            }

            if (spoke)
            {
                await speech.SendTokenAsync("", last: true, cancellationToken);
            }

            if (answer.Length > 0)
            {
                // Empty when a tool ended the turn (an action that goes on waiting while the caller's words get a turn).
                history.AddAssistantMessage(answer.ToString());
            }

            return new TurnResult(answer.ToString());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            CloseOpenToolCalls(history, "The caller interrupted; this action's outcome is unknown. Ask before repeating it.");
            return new TurnResult(answer.ToString(), Interrupted: true);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The model endpoint failed or timed out: say so and keep the call going.
            Llm.ModelFailureLog.Write(logger, ex);
            CloseOpenToolCalls(history, "The action failed.");
            history.AddAssistantMessage(Apology);
            await speech.SendTokenAsync(Apology, last: true, CancellationToken.None);
            return new TurnResult(Apology, Failed: true);
        }
    }

    /// <summary>
    /// A turn stopped half-way can leave an assistant tool call without its result, and the next request would then be
    /// refused ("tool messages must follow tool_calls"): give every open call a result.
    /// </summary>
    internal static void CloseOpenToolCalls(ChatHistory history, string result)
    {
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var calls = history[i].Items.OfType<FunctionCallContent>().ToList();
            if (calls.Count == 0)
            {
                if (history[i].Role == AuthorRole.Tool)
                {
                    continue;
                }

                return;
            }

            var answered = history.Skip(i + 1).SelectMany(m => m.Items.OfType<FunctionResultContent>()).Select(r => r.CallId).ToHashSet();
            foreach (var call in calls.Where(c => !answered.Contains(c.Id)))
            {
                history.Add(new FunctionResultContent(call, result).ToChatMessage());
            }

            return;
        }
    }
}
