using System.Runtime.CompilerServices;
using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>
/// One event a <see cref="GroupConsumer{T}"/> consumed: where it came from and a copy of it (Confluent.Kafka's
/// <c>ConsumeResult</c>). A struct: consuming allocates nothing.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>The event is a private copy, taken out of the ring by the consumer's fetch thread: it stays valid after the
/// slot is reused, and costs one copy of <typeparamref name="T"/> into the consumer's buffer and one out of it. The
/// push handlers (<c>Join</c>, <c>JoinBatch</c>) read the slot by reference instead: they are the zero-copy path.</para>
/// <para>Pass it to <see cref="GroupConsumer{T}.Commit(in ConsumeResult{T})"/> to commit up to and including it. The
/// default value describes no event (its <see cref="Topic"/> is empty) and is refused there.</para>
/// <para>Thread-safety: immutable; any thread.</para>
/// </remarks>
public readonly struct ConsumeResult<T>
    where T : struct
{
    private readonly T _event;
    private readonly string? _topic;

    internal ConsumeResult(PullPartition<T> source, long offset, in T @event, bool isEndOfBatch)
    {
        Source = source;
        _topic = source.Partition.Id.Topic;
        Partition = source.Partition.Id.Partition;
        Offset = offset;
        _event = @event;
        IsEndOfBatch = isEndOfBatch;
    }

    /// <summary>The topic name; empty for the default value.</summary>
    public string Topic => _topic ?? string.Empty;

    /// <summary>The partition number.</summary>
    public int Partition { get; }

    /// <summary>The event's offset in the partition.</summary>
    public long Offset { get; }

    /// <summary>The topic and the partition.</summary>
    public TopicPartition TopicPartition => new(Topic, Partition);

    /// <summary>The event: a copy (see the type's remarks).</summary>
    public T Event => _event;

    /// <summary>
    /// True when the consumer held no further event when it returned this one (as <c>endOfBatch</c> of a push handler):
    /// a good moment to flush what was gathered. The next call may still return an event at once.
    /// </summary>
    public bool IsEndOfBatch { get; }

    /// <summary>The consumer's partition record it came from, for a commit of this result; null for the default value.</summary>
    internal PullPartition<T>? Source { get; }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}
