using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>Binds a call session to the kernel that serves that call, so the plugin's functions find it.</summary>
public static class CallSessionKernelExtensions
{
    /// <summary>The <see cref="Kernel.Data"/> key under which the session is stored.</summary>
    public const string DataKey = "InCallMessaging.CallSession";

    /// <summary>
    /// Returns a clone of <paramref name="kernel"/> bound to <paramref name="session"/>: one kernel per call, never a
    /// global. The clone shares the services and the other plugins; when the kernel has the messaging plugin, the clone
    /// offers the call's own actions (<see cref="CallSession.Actions"/>, the set the call started with) in its place.
    /// </summary>
    public static Kernel WithCallSession(this Kernel kernel, CallSession session)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(session);
        var perCall = kernel.Clone();
        perCall.Data[DataKey] = session;
        if (session.Actions is { } actions && perCall.Plugins.TryGetPlugin(actions.Plugin.Name, out var running)
            && !ReferenceEquals(running, actions.Plugin))
        {
            perCall.Plugins.Remove(running);
            perCall.Plugins.Add(actions.Plugin);
        }

        return perCall;
    }

    /// <summary>The call session bound to <paramref name="kernel"/>, if any.</summary>
    public static CallSession? GetCallSession(this Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Data.TryGetValue(DataKey, out var value) ? value as CallSession : null;
    }
}
