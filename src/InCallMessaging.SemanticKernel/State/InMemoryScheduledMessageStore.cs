using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>The in-memory <see cref="IScheduledMessageStore"/>: what a process that dies has scheduled is lost.</summary>
internal sealed class InMemoryScheduledMessageStore : IScheduledMessageStore
{
    private readonly ConcurrentDictionary<string, ScheduledMessage> _messages = new(StringComparer.Ordinal);

    public ValueTask AddAsync(ScheduledMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        _messages[message.Id] = message;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ScheduledMessage>> GetPendingAsync(string? callId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<ScheduledMessage>>(
            [.. _messages.Values.Where(m => callId is null || m.CallId == callId).OrderBy(m => m.CreatedAt)]);

    public ValueTask<bool> TryTakeAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_messages.TryRemove(id, out _));
}
