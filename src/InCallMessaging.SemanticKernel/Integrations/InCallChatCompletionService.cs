using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-call messaging plumbing for Semantic Kernel, for one call: a chat completion service that, before each
/// request, puts the texts that arrived (<c>[SMS Reply]: ...</c>, <c>[SMS Status]: ...</c>) into the chat history at a
/// safe point (before the caller's latest words, never between a tool call and its result), and runs the request with
/// the call's kernel (<see cref="Kernel"/>: bound to the call, offering the call's actions). Get one with
/// <see cref="InCallMessagingKernelExtensions.UseInCallMessaging"/>.
/// </summary>
public sealed class InCallChatCompletionService : IChatCompletionService
{
    private readonly IChatCompletionService _inner;

    internal InCallChatCompletionService(IChatCompletionService inner, Kernel kernel, CallSession session)
    {
        _inner = inner;
        Kernel = kernel;
        Session = session;
    }

    /// <summary>The call's kernel: a clone bound to the call, offering its actions (<see cref="CallSession.Actions"/>).</summary>
    public Kernel Kernel { get; }

    /// <summary>The call.</summary>
    public CallSession Session { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> Attributes => _inner.Attributes;

    /// <summary>
    /// Adds the pending lines to <paramref name="chatHistory"/>, then asks the model. Without a
    /// <paramref name="kernel"/>, the call's <see cref="Kernel"/> is used (so the actions are offered and invoked).
    /// </summary>
    public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        PendingLinePlacement.Apply(Session, chatHistory);
        return _inner.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel ?? Kernel, cancellationToken);
    }

    /// <summary>The streaming form of <see cref="GetChatMessageContentsAsync"/>: the lines are added when enumeration starts.</summary>
    public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        PendingLinePlacement.Apply(Session, chatHistory);
        await foreach (var chunk in _inner.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel ?? Kernel, cancellationToken)
            .ConfigureAwait(false))
        {
            yield return chunk;
        }
    }
}

/// <summary>One line of in-call messaging plumbing on a Semantic Kernel <see cref="Microsoft.SemanticKernel.Kernel"/>.</summary>
public static class InCallMessagingKernelExtensions
{
    /// <summary>
    /// The call's chat service: <paramref name="kernel"/>'s <see cref="IChatCompletionService"/> for the call
    /// <paramref name="session"/>, with its kernel bound to the call and the texts that arrived added to the history
    /// before each request. The call's kernel offers the call's actions (added when <paramref name="kernel"/> lacks the
    /// plugin). One per call: <c>var chat = kernel.UseInCallMessaging(session);</c>, then
    /// <c>await chat.GetChatMessageContentAsync(history, settings)</c> each turn.
    /// </summary>
    /// <param name="kernel">The kernel every call starts from (with a chat completion service).</param>
    /// <param name="session">The call.</param>
    /// <param name="serviceId">The chat completion service to use, when the kernel has several.</param>
    public static InCallChatCompletionService UseInCallMessaging(this Kernel kernel, CallSession session, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(session);
        var callKernel = kernel.WithCallSession(session);
        if (session.Actions is { } actions && !callKernel.Plugins.Contains(actions.Plugin.Name))
        {
            callKernel.Plugins.Add(actions.Plugin);
        }
        var chat = serviceId is null
            ? callKernel.GetRequiredService<IChatCompletionService>()
            : callKernel.GetRequiredService<IChatCompletionService>(serviceId);
        return new InCallChatCompletionService(chat, callKernel, session);
    }
}
