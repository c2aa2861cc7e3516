using Confluent.Kafka;

namespace HotPath.Kafka.Internal;

/// <summary>
/// The delivery bookkeeping of one partition of a <see cref="KafkaMirror{T}"/>: how many records the mirroring thread
/// produced in the current batch and how many delivery reports came back, plus the first delivery error.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> <c>_produced</c> is written by the mirroring thread only (plain; it is the only reader too).
/// <c>_reported</c>, <c>_firstError</c> and <c>_waiting</c> are guarded by <c>_gate</c>: the delivery-report thread of
/// Confluent's producer increments <c>_reported</c> and records an error under the lock and pulses a waiting
/// mirroring thread; the mirroring thread reads them under the same lock. The lock gives both the mutual exclusion
/// and the ordering (an error recorded before the pulse is seen after the wake-up), so no field needs Volatile.</para>
/// <para>An idempotent producer reports the deliveries of one partition in production order. A batch counts as sent
/// when every record produced so far has been reported without error; the mirror waits for that at the end of each
/// batch, so between batches nothing is outstanding and the counts start again from zero.</para>
/// <para>Thread safety: <see cref="OnDelivery"/> runs on the producer's delivery thread; every other member on the
/// mirroring thread, except <see cref="Wake"/> (any thread).</para>
/// </remarks>
internal sealed class MirrorPartition
{
    private static readonly TimeSpan s_waitSlice = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private long _produced;
    private long _reported;
    private bool _waiting;
    private Error? _firstError;
    private List<(byte[]? Key, byte[] Value)>? _kept;

    public MirrorPartition(string kafkaTopic, int partition)
    {
        Id = partition;
        TopicPartition = new TopicPartition(kafkaTopic, new Partition(partition));
        Tags = KafkaMetrics.PartitionTags(kafkaTopic, partition);
        DeliveryHandler = OnDelivery;
    }

    /// <summary>The partition number, the same locally and in Kafka.</summary>
    public int Id { get; }

    /// <summary>The Kafka partition records go to, built once.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>Metric tags, built once.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>The delivery callback, one delegate per partition so producing allocates none.</summary>
    public Action<DeliveryReport<byte[]?, byte[]>> DeliveryHandler { get; }

    /// <summary>Records produced in the current batch. Mirroring thread.</summary>
    public long Produced => _produced;

    /// <summary>The local offset of the batch's first event. Mirroring thread.</summary>
    public long BatchStart { get; private set; } = -1;

    /// <summary>Counts a record about to be handed to the producer. Mirroring thread.</summary>
    public void OnProducing(long localOffset)
    {
        if (_produced == 0)
        {
            BatchStart = localOffset;
        }

        _produced++;
    }

    /// <summary>Takes back the count of a record the producer refused synchronously. Mirroring thread.</summary>
    public void OnProduceRefused() => _produced--;

    /// <summary>
    /// Transactional mirror: the records of the current batch, kept (the arrays already built for Confluent, no copy)
    /// so that a batch whose Kafka transaction aborted can be sent again. Mirroring thread.
    /// </summary>
    public List<(byte[]? Key, byte[] Value)> Kept => _kept ??= [];

    /// <summary>
    /// Transactional mirror, mode linked to a source: records of this partition in the open Kafka transaction, counted as
    /// sent once it commits. Read and written under the mirror's transaction gate.
    /// </summary>
    public long InOpenTransaction { get; set; }

    /// <summary>
    /// Transactional mirror: waits until every record produced in the batch was reported, errors included (after an
    /// abort librdkafka fails what it still held), or the deadline passes. Mirroring thread.
    /// </summary>
    /// <returns>True when all were reported.</returns>
    public bool WaitForAllReported(long deadline, Func<bool> stop)
    {
        lock (_gate)
        {
            _waiting = true;
            try
            {
                while (_reported < _produced && !stop())
                {
                    long remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0)
                    {
                        break;
                    }

                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(remaining, s_waitSlice.TotalMilliseconds)));
                }

                return _reported >= _produced;
            }
            finally
            {
                _waiting = false;
            }
        }
    }

    /// <summary>
    /// Transactional mirror: starts the same batch again after its transaction aborted and every report came back; keeps
    /// <see cref="BatchStart"/> and <see cref="Kept"/>. Mirroring thread.
    /// </summary>
    public void RestartBatch()
    {
        lock (_gate)
        {
            _reported = 0;
            _firstError = null;
        }

        _produced = 0;
    }

    /// <summary>
    /// Waits until every record of the batch was reported, an error was reported, <paramref name="stop"/> returns
    /// true, or <paramref name="deadline"/> (a <see cref="Environment.TickCount64"/> value) passes. Mirroring thread.
    /// </summary>
    /// <returns>The first delivery error, or null; <paramref name="complete"/> tells whether all were reported.</returns>
    public Error? WaitForBatch(long deadline, Func<bool> stop, out bool complete)
    {
        lock (_gate)
        {
            _waiting = true;
            try
            {
                while (_reported < _produced && _firstError is null && !stop())
                {
                    long remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0)
                    {
                        break;
                    }

                    // Sliced so a stop request is seen even if its pulse raced ahead of this wait.
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(remaining, s_waitSlice.TotalMilliseconds)));
                }

                complete = _reported >= _produced;
                return _firstError;
            }
            finally
            {
                _waiting = false;
            }
        }
    }

    /// <summary>Starts the next batch after a successful one: all reported, nothing outstanding. Mirroring thread.</summary>
    public void ResetBatch()
    {
        lock (_gate)
        {
            _reported = 0;
            _firstError = null;
        }

        _produced = 0;
        BatchStart = -1;
        _kept?.Clear();
    }

    /// <summary>Wakes a mirroring thread waiting in <see cref="WaitForBatch"/> so it re-checks its stop condition. Any thread.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
    {
        lock (_gate)
        {
            _reported++;
            if (report.Error.IsError && _firstError is null)
            {
                _firstError = report.Error;
            }

            // Plain read of the mirroring thread's _produced, only while it waits: it wrote the value before it took
            // this lock to wait, so the lock orders that write before this read; when it is not waiting, no pulse is due.
            // (An error pulses too: WaitForBatch returns on it, WaitForAllReported re-checks and waits on.)
            if (_waiting && (_reported >= _produced || _firstError is not null))
            {
                Monitor.PulseAll(_gate);
            }
        }
    }
}
