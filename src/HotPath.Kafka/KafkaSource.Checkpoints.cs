using System.Globalization;
using Confluent.Kafka;
using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

// A source linked to a transactional mirror (CommitOffsetsThrough): its Kafka offsets are committed inside the
// mirror's Kafka transactions, at checkpoints, instead of by the consumer.
public sealed partial class KafkaSource<T>
{
    /// <summary>Consecutive checkpoints that may abort before the source faults.</summary>
    private const int MaxFailedCheckpoints = 5;

    private ICheckpointSink? _sink;
    private int _failedCheckpoints;

    /// <summary>
    /// Hands this source's Kafka offset commits to a transactional mirror: Kafka → HotPath → Kafka exactly once, as in
    /// Confluent's consume-transform-produce pattern. Call it once, before either of them starts.
    /// </summary>
    /// <typeparam name="TOut">The mirror's event type.</typeparam>
    /// <param name="mirror">A mirror with <see cref="KafkaMirrorOptions.TransactionalId"/> set, of the local topic into
    /// which the processing of this source's topic publishes its outputs; linked to no other source.</param>
    /// <exception cref="ArgumentNullException"><paramref name="mirror"/> is null.</exception>
    /// <exception cref="ArgumentException">The mirror is not transactional.</exception>
    /// <exception cref="InvalidOperationException">The source or the mirror was started already, or the mirror is linked to another source.</exception>
    /// <remarks>
    /// <para><b>Checkpoints.</b> Every <see cref="KafkaSourceOptions.CommitInterval"/>, before partitions are revoked, and
    /// when the source is disposed, the consume thread stops reading Kafka and waits until every lossless local group has
    /// handled what the source published (the local topic's <c>StartOffset</c> reached its end: with a
    /// <c>JoinTransactional</c> member, its outputs are committed locally). The mirror then waits until it has sent
    /// every committed local output published so far (at most its <see cref="KafkaMirrorOptions.AckTimeout"/>), sends
    /// the source's offsets to its open Kafka transaction (<c>SendOffsetsToTransaction</c> with this consumer's
    /// <c>ConsumerGroupMetadata</c>) and commits it. So one Kafka transaction holds exactly the outputs of the inputs
    /// whose offsets it commits, and the source reads on only after it committed.</para>
    /// <para><b>Failures.</b> When a checkpoint cannot commit (an abortable error, or the mirror did not catch up in
    /// time), the mirror aborts the transaction and drops the local outputs it has not sent yet, and the source seeks
    /// back to its last committed offsets and reads those inputs again (local groups see them twice; Kafka's
    /// read-committed consumers see their outputs once). After five aborted checkpoints in a row, or on a fatal error
    /// (a fenced mirror), the source faults. When Kafka takes the partitions away without a revoke (lost), the
    /// transaction is aborted; the partitions' next owner reads the inputs again.</para>
    /// <para><b>Rules.</b> The processing between the two local topics must publish an input's outputs before it commits
    /// the input (a <c>JoinTransactional</c> member does; so does a member that publishes from its handler with
    /// automatic commits), and nothing else may publish into the mirrored topic. In this mode the mirror commits its
    /// local offsets once Kafka acknowledged a batch (inside the open transaction), not after the commit: the recovery
    /// point is Kafka's, the last committed checkpoint.</para>
    /// <para>Thread safety: call before <see cref="StartAsync"/>, from one thread.</para>
    /// </remarks>
    public void CommitOffsetsThrough<TOut>(KafkaMirror<TOut> mirror)
        where TOut : struct
    {
        ArgumentNullException.ThrowIfNull(mirror);
        if (Volatile.Read(ref _state) != StateCreated || _sink is not null)
        {
            throw new InvalidOperationException(
                $"{nameof(CommitOffsetsThrough)} may be called once, before the source starts: source of '{KafkaTopic}' into '{_target.Name}' " +
                (_sink is null ? "was already started or disposed" : "already commits through a mirror"));
        }

        mirror.LinkSource($"source of Kafka topic '{KafkaTopic}' into '{_target.Name}'");
        _sink = mirror;
    }

    /// <summary>
    /// A commit round of the consume loop: the consumer's own commit, or a checkpoint through the mirror; true when an
    /// aborted checkpoint sent the consumer back to its last committed offsets.
    /// </summary>
    private bool CommitRound(CancellationToken stopping)
    {
        if (_sink is null)
        {
            CommitSafe(onlyPartitions: null);
            return false;
        }

        return !Checkpoint(stopping, drainDeadline: null, revoking: null);
    }

    private void CheckpointOnRevoke(List<TopicPartitionOffset> revoked, bool commit)
    {
        if (Fault is not null)
        {
            return;
        }

        try
        {
            Checkpoint(_stopping.Token, drainDeadline: null, revoked, commit);
        }
        catch (KafkaBridgeException ex)
        {
            // Inside the consumer's callback: record the fault here; the loop stops on it.
            RecordFault(ex, null, "checkpoint_failed");
            _stopping.Cancel();
        }
    }

    /// <summary>
    /// Waits until the local groups handled everything published (unless stopping, or past <paramref name="drainDeadline"/>),
    /// then has the mirror commit the offsets in its transaction, or abort it; after an abort, reads the inputs again.
    /// Returns false when it aborted.
    /// </summary>
    private bool Checkpoint(CancellationToken stopping, long? drainDeadline, List<TopicPartitionOffset>? revoking, bool commit = true)
    {
        bool drained = WaitDrained(stopping, drainDeadline);
        var offsets = new List<TopicPartitionOffset>();
        foreach (SourcePartition partition in _partitions)
        {
            if (!partition.Assigned)
            {
                continue;
            }

            ReportConsumed(partition);
            if (drained && partition.SafeNext > partition.CommittedNext)
            {
                offsets.Add(new TopicPartitionOffset(partition.TopicPartition, new Offset(partition.SafeNext)));
            }
        }

        commit &= drained;
        bool committed;
        try
        {
            committed = _sink!.Checkpoint(offsets, commit ? _consumer.ConsumerGroupMetadata : null, commit);
        }
        catch (Exception ex) when (ex is KafkaBridgeException or ObjectDisposedException)
        {
            throw new KafkaBridgeException(
                KafkaTopic,
                $"the source of '{KafkaTopic}' into '{_target.Name}' commits its offsets through a mirror that cannot commit them any more: {ex.Message}. " +
                "Kafka keeps the last committed checkpoint; a restarted pipeline resumes there.",
                null,
                (ex as KafkaBridgeException)?.ErrorCode,
                ex);
        }

        if (committed)
        {
            _failedCheckpoints = 0;
            foreach (TopicPartitionOffset offset in offsets)
            {
                _partitions[offset.Partition.Value].OnCommitted(offset.Offset.Value);
            }

            _committedWaiters.Check();
            return true;
        }

        Rewind(revoking);
        if (commit && ++_failedCheckpoints >= MaxFailedCheckpoints)
        {
            throw new KafkaBridgeException(
                KafkaTopic,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{_failedCheckpoints} checkpoints in a row of the source of '{KafkaTopic}' into '{_target.Name}' were aborted by the " +
                    $"transactional mirror (see its errors metric); the source stopped at its last committed offsets."));
        }

        return false;
    }

    /// <summary>Waits until every record published locally was handled by every lossless local group.</summary>
    private bool WaitDrained(CancellationToken stopping, long? drainDeadline)
    {
        while (true)
        {
            bool drained = true;
            foreach (SourcePartition partition in _partitions)
            {
                if (partition.Assigned)
                {
                    partition.Advance(_target[partition.Id].StartOffset);
                    drained &= partition.PendingCount == 0;
                }
            }

            if (drained)
            {
                return true;
            }

            if (drainDeadline is long deadline ? Environment.TickCount64 >= deadline : stopping.IsCancellationRequested)
            {
                return false;
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>After an aborted checkpoint: sends the consumer back to the last committed offsets of the partitions it keeps.</summary>
    private void Rewind(List<TopicPartitionOffset>? revoking)
    {
        foreach (SourcePartition partition in _partitions)
        {
            if (!partition.Assigned || partition.RewindTo < 0 || (revoking is not null && revoking.Exists(p => p.Partition.Value == partition.Id)))
            {
                continue;
            }

            _consumer.Seek(new TopicPartitionOffset(partition.TopicPartition, new Offset(partition.RewindTo)));
            partition.OnRewound();
            KafkaMetrics.RecordError(KafkaTopic, partition.Id, "checkpoint_rewind");
        }
    }

    private void ReportConsumed(SourcePartition partition)
    {
        if (partition.UnreportedConsumed != 0)
        {
            KafkaMetrics.Consumed.Add(partition.UnreportedConsumed, partition.Tags);
            // Read by monitoring threads; atomic so the 64-bit value never tears, no ordering implied.
            Interlocked.Add(ref _consumed, partition.UnreportedConsumed);
            partition.UnreportedConsumed = 0;
        }
    }
}
