using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// Settings shared by the suites. Benchmarks run in process (<see cref="InProcessEmitToolchain"/>): BenchmarkDotNet's
/// default toolchain would generate and build a second project under this repository's warnings-as-errors
/// Directory.Build.props, and it costs a build per run. The release build of this app is what is measured.
/// </summary>
internal static class BenchJobs
{
    /// <summary>Measured iterations per benchmark: enough for a stable median and its confidence interval.</summary>
    public const int Iterations = 15;

    /// <summary>Added to BenchmarkDotNet's defaults (console logger, GitHub-markdown, CSV and HTML exporters).</summary>
    public static ManualConfig Base() =>
        ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Min)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Full);
}

/// <summary>
/// For benchmarks that rebuild their state before each iteration ([IterationSetup]): a fixed number of operations per
/// iteration (each iteration lasts tens of milliseconds; the state grows with every operation, so it is rebuilt).
/// </summary>
internal sealed class FixedInvocationsConfig : ManualConfig
{
    public const int InvocationsPerIteration = 4096;

    public FixedInvocationsConfig()
    {
        Add(BenchJobs.Base());
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(BenchJobs.Iterations)
            .WithInvocationCount(InvocationsPerIteration)
            .WithUnrollFactor(1)
            .WithEvaluateOverhead(false)
            .WithId("InProcess-4096x15"));
    }
}

/// <summary>
/// For steady-state operations: BenchmarkDotNet picks the operation count for ~120 ms iterations. Overhead evaluation
/// is off: the operations measured cost tens of nanoseconds and more, the empty-call overhead is below 1 ns.
/// </summary>
internal sealed class SteadyStateConfig : ManualConfig
{
    public SteadyStateConfig()
    {
        Add(BenchJobs.Base());
        AddJob(Steady().WithId("InProcess-15x120ms"));
    }

    /// <summary>In process, 3 warm-ups, 15 iterations of about 120 ms, no overhead evaluation.</summary>
    internal static Job Steady() =>
        Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(BenchJobs.Iterations)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(120))
            .WithEvaluateOverhead(false);
}

/// <summary>As <see cref="SteadyStateConfig"/>, without a forced GC before each iteration (for allocation-free operations on a large heap).</summary>
internal sealed class LargeHeapConfig : ManualConfig
{
    public LargeHeapConfig()
    {
        Add(BenchJobs.Base());
        AddJob(SteadyStateConfig.Steady().WithGcForce(false).WithId("InProcess-15x120ms-NoForcedGC"));
    }
}
