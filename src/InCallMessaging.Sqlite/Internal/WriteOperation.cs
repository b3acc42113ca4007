namespace InCallMessaging.Sqlite.Internal;

/// <summary>One queued write: its work on the writer's connection and the caller's task, completed after the commit.</summary>
internal abstract class WriteOperation(string description, CancellationToken cancellationToken)
{
    /// <summary>What the write does, in the words of an error message ("Recording an opt-out").</summary>
    public string Description { get; } = description;

    /// <summary>The caller's token: a write still queued when it fires is dropped.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Runs the work inside the batch's transaction and keeps its result until the commit.</summary>
    public abstract void Execute(WriterCommands commands);

    /// <summary>Hands the kept result to the caller (after the commit).</summary>
    public abstract void Complete();

    /// <summary>Fails the caller's task.</summary>
    public abstract void Fail(Exception error);

    /// <summary>Cancels the caller's task (the write never ran).</summary>
    public abstract void Cancel();
}

/// <summary>A write whose result is a <typeparamref name="T"/>.</summary>
internal sealed class WriteOperation<T>(string description, Func<WriterCommands, T> work, CancellationToken cancellationToken)
    : WriteOperation(description, cancellationToken)
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T _result = default!;

    /// <summary>Completes after the write's transaction commits.</summary>
    public Task<T> Task => _done.Task;

    public override void Execute(WriterCommands commands) => _result = work(commands);

    public override void Complete() => _done.TrySetResult(_result);

    public override void Fail(Exception error) => _done.TrySetException(error);

    public override void Cancel() => _done.TrySetCanceled(CancellationToken);
}
