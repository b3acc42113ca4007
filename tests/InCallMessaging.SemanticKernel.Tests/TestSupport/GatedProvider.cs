
namespace InCallMessaging.SemanticKernel.Tests.TestSupport;

/// <summary>A provider that answers only when the test says so.</summary>
internal sealed class GatedProvider : IMessageProvider
{
    private int _calls;

    public string Name => "Gated";

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<SendResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Started.TrySetResult();
        return await Answer.Task.WaitAsync(cancellationToken);
    }
}
