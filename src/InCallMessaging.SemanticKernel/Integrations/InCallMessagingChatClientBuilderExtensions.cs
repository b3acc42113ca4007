using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>One line of in-call messaging plumbing on a Microsoft.Extensions.AI <see cref="ChatClientBuilder"/>.</summary>
public static class InCallMessagingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="InCallMessagingChatClient"/> for the call <paramref name="session"/>: the call's actions as tools,
    /// the function-invocation loop, and the texts that arrived added before each model request at a safe point. Build
    /// one client per call: <c>chatClient.AsBuilder().UseInCallMessaging(session).Build()</c>. It replaces
    /// <c>UseFunctionInvocation()</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="session">The call.</param>
    /// <param name="configure">Tunes the function-invocation loop (for example <see cref="FunctionInvokingChatClient.MaximumIterationsPerRequest"/>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static ChatClientBuilder UseInCallMessaging(this ChatClientBuilder builder, CallSession session, Action<FunctionInvokingChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(session);
        return builder.Use((inner, services) =>
        {
            var client = new InCallMessagingChatClient(inner, session, services.GetService<ILoggerFactory>(), services);
            configure?.Invoke(client.FunctionInvocation);
            return client;
        });
    }
}
