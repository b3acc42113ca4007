using Microsoft.SemanticKernel;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// A caller who hangs up while an action runs (typically while it waits for a texted code) cancels it. That is how a
/// call ends, not a failure: without this filter SK would log the cancellation as a function error with its stack
/// trace. The action's result no longer matters, since the call's history goes with the call.
/// </summary>
/// <param name="hungUp">Whether the caller has hung up; true from the moment the socket closes, before the call's turn
/// is cancelled.</param>
public sealed class HangUpFilter(Func<bool> hungUp) : IFunctionInvocationFilter
{
    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (hungUp())
        {
            // The turn's own cancellation (linked to the call's end) stops the turn right after this.
            context.Result = new FunctionResult(context.Function, "The caller hung up.");
        }
    }
}
