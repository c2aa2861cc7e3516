using System.Runtime.CompilerServices;

namespace HotPath.Consumers;

/// <summary>
/// Where the event (or batch) a handler gets comes from, and the handle to commit through it: topic, partition, offset,
/// end of batch, and <see cref="Commit"/>.
/// </summary>
/// <remarks>
/// <para>A small value built on the member's stack for each call (a reference to the member's state for the partition,
/// the offset, a count and a flag): no allocation, and passed to synchronous handlers by <c>in</c> reference. An
/// asynchronous handler gets it by value, and it stays valid across its awaits.</para>
/// <para><b>What it covers</b>: one event for <see cref="IContextHandler{T}"/> and <see cref="IAsyncContextHandler{T}"/>
/// (<see cref="Count"/> is 1), the whole span for <see cref="IContextBatchHandler{T}"/> (<see cref="Offset"/> is the
/// span's first offset, <see cref="Count"/> its length). <see cref="Commit"/> commits through the last event covered:
/// the group's next offset to read becomes <c>Offset + Count</c>, as Kafka's committed offset is the next record.</para>
/// <para>Thread-safety: read it from any thread; <see cref="Commit"/> only from the handler call that received it (see
/// there).</para>
/// </remarks>
public readonly struct EventContext
{
    private readonly ContextPartition? _partition;

    internal EventContext(ContextPartition partition, long offset, int count, bool endOfBatch)
    {
        _partition = partition;
        Offset = offset;
        Count = count;
        EndOfBatch = endOfBatch;
    }

    /// <summary>The name of the topic the event comes from (a group may read several topics); empty for <c>default</c>.</summary>
    public string Topic => _partition?.TopicName ?? string.Empty;

    /// <summary>The partition number; -1 for <c>default</c>.</summary>
    public int Partition => _partition?.PartitionId ?? -1;

    /// <summary>The event's offset in its partition; for a batch handler the offset of the span's first event.</summary>
    public long Offset { get; }

    /// <summary>How many events the context covers: 1 for an event handler, the span's length for a batch handler.</summary>
    public int Count { get; }

    /// <summary>
    /// True for the last event of the batch available now (a good moment to flush); a batch handler's context always
    /// ends its span, so true.
    /// </summary>
    public bool EndOfBatch { get; }

    /// <summary>The id of the consuming group; empty for <c>default</c>.</summary>
    public string GroupId => _partition?.GroupId ?? string.Empty;

    /// <summary>
    /// Commits everything through the last event this context covers: the group's committed offset on the partition
    /// (the next offset to read) becomes <c>Offset + Count</c>. Meant for <see cref="CommitMode.Manual"/>; with
    /// <see cref="CommitMode.AfterBatch"/> it commits before the member's own commit after the batch.
    /// </summary>
    /// <remarks>
    /// Call it from the handler call that received this context: on the member's thread, or for an asynchronous handler
    /// from its continuations until the call's task completes. Committing an offset at or below the committed one moves
    /// nothing. A commit hands the covered slots back to the writers: a synchronous handler must not read the event (or
    /// the span) it got by reference after its <c>Commit()</c>, since a writer may already be reusing the slot. Copy what
    /// it needs first. Thread-safety: the handler's own call only.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Nothing was committed: the member no longer owns the partition (it
    /// was revoked or lost, as Kafka's <c>CommitFailedException</c> after a rebalance), it was declared failed (fenced),
    /// the caller is not the handler call that received this context, or the context is <c>default</c>.</exception>
    public void Commit()
    {
        if (_partition is null)
        {
            ThrowDefault();
        }

        _partition.Commit(Offset + Count);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public override string ToString() =>
        _partition is null ? "(no event)" : $"{Topic}-{Partition}@{Offset}" + (Count == 1 ? "" : $"+{Count}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDefault() =>
        Internal.ThrowHelper.InvalidOperation("this EventContext is default: only a context handed to a handler can commit");
}
