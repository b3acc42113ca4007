using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-call messaging plumbing for Microsoft.Extensions.AI (and the Microsoft Agent Framework's
/// <c>ChatClientAgent</c>), for one call: it offers the call's actions as tools (<see cref="ChatOptions.Tools"/>, from
/// <see cref="CallSession.Actions"/>), runs the function-invocation loop that calls them, and before every request to
/// the model adds the texts that arrived (<c>[SMS Reply]: ...</c>, <c>[SMS Status]: ...</c>) after the last tool results,
/// never between a tool call and its result. It puts each line back after the same message in every later request of
/// the call, so the model keeps it while the caller's conversation and the response (whose text a voice host speaks)
/// never hold the caller's texts. Build it with <see cref="InCallMessagingChatClientBuilderExtensions.UseInCallMessaging"/>,
/// one per call, and keep it for the whole call.
/// </summary>
/// <remarks>
/// It brings its own <see cref="FunctionInvokingChatClient"/> (found with <c>GetService</c>, so an agent adds none): do
/// not add <c>UseFunctionInvocation()</c> above it.
/// </remarks>
public sealed class InCallMessagingChatClient : DelegatingChatClient
{
    private readonly AITool[] _tools;

    /// <summary>Wraps <paramref name="innerClient"/> (the model's client) for the call <paramref name="session"/>.</summary>
    /// <param name="innerClient">The client that talks to the model.</param>
    /// <param name="session">The call.</param>
    /// <param name="loggerFactory">Logs the function-invocation loop; optional.</param>
    /// <param name="services">Services handed to the functions; optional.</param>
    public InCallMessagingChatClient(IChatClient innerClient, CallSession session, ILoggerFactory? loggerFactory = null, IServiceProvider? services = null)
        : base(new FunctionInvokingChatClient(new Integrations.PendingLinesChatClient(innerClient, session), loggerFactory, services))
    {
        ArgumentNullException.ThrowIfNull(session);
        Session = session;
        _tools = CallTools(session);
    }

    /// <summary>The call.</summary>
    public CallSession Session { get; }

    /// <summary>The call's actions as AI functions (named <c>{plugin}_{action}</c>), fixed when this client was built.</summary>
    public IReadOnlyList<AITool> Tools => _tools;

    /// <summary>The function-invocation loop inside this client, to tune (for example its iteration limit).</summary>
    public FunctionInvokingChatClient FunctionInvocation => (FunctionInvokingChatClient)InnerClient;

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithTools(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithTools(options), cancellationToken);

    /// <summary>The caller's options with the call's tools added (a tool of the same name already there is kept).</summary>
    private ChatOptions? WithTools(ChatOptions? options)
    {
        if (_tools.Length == 0)
        {
            return options;
        }

        var withTools = options?.Clone() ?? new ChatOptions();
        var tools = withTools.Tools is { } given ? new List<AITool>(given) : [];
        var names = tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        tools.AddRange(_tools.Where(t => !names.Contains(t.Name)));
        withTools.Tools = tools;
        return withTools;
    }

    /// <summary>The call's action functions, bound to a kernel that carries the call (so each finds its session).</summary>
    private static AITool[] CallTools(CallSession session)
    {
        if (session.Actions is not { } actions)
        {
            return [];
        }

        var kernel = new Kernel().WithCallSession(session);
        return [.. actions.Plugin.Select(function => (AITool)function.WithKernel(kernel))];
    }
}
