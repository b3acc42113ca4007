using BenchmarkDotNet.Attributes;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// One action invocation without network through <c>kernel.InvokeAsync</c>: session look-up, values, Scriban render,
/// recipient and consent checks, send reservation, loopback send, record, index and the JSON result. Beside it, an
/// empty function with the same signature and parameters invoked the same way: Semantic Kernel's own cost.
/// </summary>
/// <remarks>
/// The state (runtime, call, kernel) is rebuilt before each iteration: the loopback provider and the call session keep
/// every message sent, so a long run would otherwise measure an ever-growing heap.
/// </remarks>
[Config(typeof(FixedInvocationsConfig))]
public class ActionInvocationBenchmarks
{
    private Kernel _kernel = null!;
    private KernelFunction _send = null!;
    private KernelFunction _empty = null!;
    private KernelArguments _arguments = null!;

    [IterationSetup]
    public void Setup()
    {
        var runtime = Fixture.CreateRuntime();
        var session = runtime.Calls.StartCall(Fixture.CallId(1), Fixture.Caller(1), Fixture.SenderNumber, Fixture.Metadata(1));
        _kernel = Fixture.CreateKernel(runtime).WithCallSession(session);
        _send = runtime.Plugin[Fixture.SendAction];
        _empty = EmptyFunction.Create(_send.Metadata.Parameters);
        _arguments = new KernelArguments { ["otp_code"] = Fixture.OtpCode };

        Gc.Settle();
    }

    [GlobalSetup]
    public void Check()
    {
        Setup();
        var json = _kernel.InvokeAsync(_send, _arguments).GetAwaiter().GetResult().GetValue<string>()!;
        if (!json.Contains("\"status\":\"sent\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The send action did not send: " + json);
        }
    }

    [Benchmark(Baseline = true, Description = "empty kernel function (SK baseline)")]
    public Task<FunctionResult> Empty() => _kernel.InvokeAsync(_empty, _arguments);

    [Benchmark(Description = "send action (render, checks, loopback send, result)")]
    public Task<FunctionResult> Send() => _kernel.InvokeAsync(_send, _arguments);
}

/// <summary>An empty kernel function shaped like an action's: same delegate signature, same parameter metadata.</summary>
internal static class EmptyFunction
{
    public static KernelFunction Create(IEnumerable<KernelParameterMetadata> parameters) =>
        KernelFunctionFactory.CreateFromMethod(
            static (Kernel kernel, KernelArguments arguments, CancellationToken cancellationToken) => Task.FromResult("{}"),
            new KernelFunctionFromMethodOptions
            {
                FunctionName = "empty",
                Description = "Does nothing.",
                Parameters = [.. parameters],
                ReturnParameter = new KernelReturnParameterMetadata { ParameterType = typeof(string) },
            });
}
