using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>Binds a call session to the kernel that serves that call, so the plugin's functions find it.</summary>
public static class CallSessionKernelExtensions
{
    /// <summary>The <see cref="Kernel.Data"/> key under which the session is stored.</summary>
    public const string DataKey = "InCallMessaging.CallSession";

    /// <summary>
    /// Returns a clone of <paramref name="kernel"/> bound to <paramref name="session"/>: one kernel per call, never a
    /// global. The clone shares the services and plugins.
    /// </summary>
    public static Kernel WithCallSession(this Kernel kernel, CallSession session)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(session);
        var perCall = kernel.Clone();
        perCall.Data[DataKey] = session;
        return perCall;
    }

    /// <summary>The call session bound to <paramref name="kernel"/>, if any.</summary>
    public static CallSession? GetCallSession(this Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Data.TryGetValue(DataKey, out var value) ? value as CallSession : null;
    }
}
