using System.Diagnostics.CodeAnalysis;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// The plugin registered with the kernel and dependency injection: it always offers the running action set, so a
/// kernel built once sees reloaded actions without being rebuilt.
/// </summary>
internal sealed class RunningActionsPlugin(RunningActions running)
    : KernelPlugin(running.Current.Plugin.Name, running.Current.Plugin.Description)
{
    public override int FunctionCount => running.Current.Plugin.FunctionCount;

    public override bool TryGetFunction(string name, [NotNullWhen(true)] out KernelFunction? function) =>
        running.Current.Plugin.TryGetFunction(name, out function);

    public override IEnumerator<KernelFunction> GetEnumerator() => running.Current.Plugin.GetEnumerator();
}
