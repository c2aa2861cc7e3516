using Confluent.Kafka;

namespace HotPath.Kafka.Internal;

/// <summary>
/// What a <see cref="KafkaSource{T}"/> knows about one Kafka partition it owns: which local offset each consumed
/// record got, and how far Kafka's committed offset may safely go.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> Every field is owned by the source's consume thread (the Confluent rebalance callbacks run on
/// it too, inside <c>Consume</c> and <c>Close</c>), except <see cref="CommittedView"/>, which that thread publishes for
/// monitoring threads. <c>_pending</c> holds (local offset, Kafka offset) pairs in consumption order; both columns
/// increase, so the pairs whose local offset is below the local partition's start offset (the committed offset of the
/// slowest lossless local reader) form a prefix, and the Kafka offset after the last of them is safe to commit.</para>
/// <para>Thread safety: consume thread only, except <see cref="CommittedView"/> (any thread).</para>
/// </remarks>
internal sealed class SourcePartition
{
    private readonly Queue<(long Local, long Kafka)> _pending = new();
    private long _committedView = -1;
    private long _consumedNextView = -1;
    private bool _assignedView;

    public SourcePartition(string kafkaTopic, int partition)
    {
        Id = partition;
        TopicPartition = new TopicPartition(kafkaTopic, new Partition(partition));
        Tags = KafkaMetrics.PartitionTags(kafkaTopic, partition);
    }

    /// <summary>The partition number, the same locally and in Kafka.</summary>
    public int Id { get; }

    /// <summary>The Kafka partition, built once.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>Metric tags, built once.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>True while the Kafka group assigns this partition to the source.</summary>
    public bool Assigned { get; private set; }

    /// <summary>The Kafka offset that is safe to commit (every lossless local group handled what is before it), or -1.</summary>
    public long SafeNext { get; private set; } = -1;

    /// <summary>The Kafka offset the source last committed successfully during this assignment, or -1.</summary>
    public long CommittedNext { get; private set; } = -1;

    /// <summary>The Kafka offset of the first record consumed during this assignment, or -1.</summary>
    public long FirstConsumed { get; private set; } = -1;

    /// <summary>
    /// Linked to a mirror: where a failed checkpoint sends the consumer back to, the last committed offset or else the
    /// first record of this assignment; -1 when nothing was consumed.
    /// </summary>
    public long RewindTo => CommittedNext >= 0 ? CommittedNext : FirstConsumed;

    /// <summary>Records published locally and not yet counted in the metric.</summary>
    public long UnreportedConsumed { get; set; }

    /// <summary>Records published locally and not yet safe to commit.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>The last committed Kafka offset, for any thread; -1 before the first commit.</summary>
    public long CommittedView => Volatile.Read(ref _committedView); // Acquire: pairs with the release in OnCommitted.

    /// <summary>
    /// The Kafka offset after the last record this source published locally, for any thread; -1 before the first. Never
    /// lowered (a rewind re-reads records already counted).
    /// </summary>
    public long ConsumedNextView => Volatile.Read(ref _consumedNextView); // Acquire: pairs with the release in OnPublished.

    /// <summary>True while the Kafka group assigns this partition to the source, for any thread.</summary>
    public bool AssignedView => Volatile.Read(ref _assignedView); // Acquire: pairs with the releases in OnAssigned and OnRevoked.

    /// <summary>The group assigned the partition: start with nothing pending.</summary>
    public void OnAssigned()
    {
        _pending.Clear();
        SafeNext = -1;
        CommittedNext = -1;
        FirstConsumed = -1;
        Assigned = true;
        // Release: a waiter that sees the partition assigned takes its consumed offset as a target.
        Volatile.Write(ref _assignedView, true);
    }

    /// <summary>The group took the partition away: forget what is pending (the next owner re-reads it from Kafka).</summary>
    public void OnRevoked()
    {
        _pending.Clear();
        Assigned = false;
        // Release: a later waiter takes no target on a partition this source no longer owns.
        Volatile.Write(ref _assignedView, false);
    }

    /// <summary>Remembers that Kafka record <paramref name="kafkaOffset"/> became local event <paramref name="localOffset"/>.</summary>
    public void OnPublished(long localOffset, long kafkaOffset)
    {
        _pending.Enqueue((localOffset, kafkaOffset));
        UnreportedConsumed++;
        if (FirstConsumed < 0)
        {
            FirstConsumed = kafkaOffset;
        }

        if (kafkaOffset + 1 > _consumedNextView)
        {
            // Release: a waiter that reads it (WaitCommittedAsync) targets a record already published locally. The plain
            // read above is the writer reading its own field.
            Volatile.Write(ref _consumedNextView, kafkaOffset + 1);
        }
    }

    /// <summary>The consumer was sent back to <see cref="RewindTo"/>: forget what was published since (it is read again).</summary>
    public void OnRewound()
    {
        _pending.Clear();
        SafeNext = CommittedNext;
    }

    /// <summary>
    /// Moves the safe offset past every pending record whose local offset is below <paramref name="localStartOffset"/>;
    /// returns true when there is something new to commit.
    /// </summary>
    public bool Advance(long localStartOffset)
    {
        while (_pending.TryPeek(out (long Local, long Kafka) next) && next.Local < localStartOffset)
        {
            _pending.Dequeue();
            SafeNext = next.Kafka + 1;
        }

        return SafeNext > CommittedNext;
    }

    /// <summary>Kafka accepted a commit of <paramref name="offset"/>.</summary>
    public void OnCommitted(long offset)
    {
        CommittedNext = offset;
        // Release: monitoring threads read it with an acquire read; a plain long write could tear on 32-bit.
        Volatile.Write(ref _committedView, offset);
    }
}
