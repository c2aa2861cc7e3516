using System.Globalization;
using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Internal;
using HotPath.Kafka.Serialization;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Kafka;

/// <summary>
/// Feeds a local topic from a Kafka topic with the same partition count: a Kafka consumer group member reads the
/// topic on a dedicated thread and publishes Kafka partition p into local partition p, so local groups see Kafka's
/// per-partition order. A Kafka offset is committed only after every lossless local reader has handled the record.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para><b>How it works.</b> For each record the consume thread deserializes the value, publishes it into the local
/// partition with the same number (waiting while that ring is full: backpressure from the slowest lossless local
/// group reaches Kafka as consumer lag) and remembers the pair (local offset, Kafka offset). Every
/// <see cref="KafkaSourceOptions.CommitInterval"/> it reads each local partition's <c>StartOffset</c> (the committed
/// offset of the slowest lossless reader: what every lossless group has handled) and commits to Kafka the offset after
/// the last record below it.</para>
/// <para><b>Guarantees.</b> End-to-end at least once, in order per partition: Kafka's committed offset never runs
/// ahead of the slowest lossless local group, so after a crash the Kafka group resumes at or before the first record
/// some local group has not handled. Duplicates are possible: records published locally but not yet committed in Kafka
/// are consumed again by the next owner of the Kafka partition, after a restart or a Kafka rebalance (on revocation the
/// source commits what is safe and forgets the rest). Local groups that must not see a record twice deduplicate on a
/// field of the event.</para>
/// <para><b>Failures.</b> A record that does not deserialize stops the source: <see cref="Fault"/> holds an
/// <see cref="EventSerializationException"/> naming the topic, partition and offset, <see cref="KafkaSourceOptions.OnFault"/>
/// is called, what was safe is committed, and the bad record is not, so nothing is lost (a restart stops at the same
/// record until it is dealt with). A Kafka partition the local topic does not have (partitions added to the Kafka
/// topic later) faults the same way. Broker outages after the start are retried by librdkafka without faulting.</para>
/// <para><b>Allocation.</b> Confluent.Kafka allocates each consumed record (result, message, key and value arrays,
/// headers); the source deserializes from that array into the local slot and allocates nothing per record itself.</para>
/// <para><b>The record behind an event.</b> Before publishing a record's event the source writes the record's Kafka offset,
/// key, headers and timestamp beside the event's slot; a local handler reads them with <see cref="TryGetRecord(in EventContext, out KafkaRecord)"/>
/// (to deduplicate on the Kafka offset, or continue the producer's trace from its <c>traceparent</c> header).
/// <see cref="WaitCommittedAsync"/> waits until what was consumed is handled and committed in Kafka.</para>
/// <para><b>Isolation.</b> The consumer reads committed records only (<c>isolation.level=read_committed</c>, forced; an
/// explicit <c>ReadUncommitted</c> is refused): a record of an aborted Kafka transaction never reaches a local topic.</para>
/// <para><b>Exactly once to Kafka.</b> <see cref="CommitOffsetsThrough{TOut}"/> hands the source's commits to a
/// transactional <see cref="KafkaMirror{T}"/>, which commits them inside its Kafka transactions.</para>
/// <para><b>Poll interval.</b> While a local ring is full the thread does not poll Kafka; if that lasts longer than
/// the consumer's <c>max.poll.interval.ms</c> (default 5 minutes) Kafka moves its partitions to another member.</para>
/// <para>Thread safety: <see cref="StartAsync"/> and <see cref="Dispose"/> may be called from any thread, once each;
/// the read-only members from any thread at any time.</para>
/// </remarks>
public sealed partial class KafkaSource<T> : IDisposable
    where T : struct
{
    private const int StateCreated = 0;
    private const int StateStarting = 1;
    private const int StateRunning = 2;
    private const int StateDisposed = 3;

    private readonly Topic<T> _target;
    private readonly IEventSerializer<T> _serializer;
    private readonly KafkaSourceOptions _options;
    private readonly string _bootstrapServers;
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly SourcePartition[] _partitions;
    private readonly SourceRecordRing[] _records;
    private readonly ProgressWaiters _committedWaiters;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;
    private int _state;
    private long _consumed;
    private Exception? _fault;

    /// <summary>Creates a source; nothing touches the network until <see cref="StartAsync"/>.</summary>
    /// <param name="target">The local topic to publish into; it must have the Kafka topic's partition count.</param>
    /// <param name="serializer">Turns record values into events.</param>
    /// <param name="consumerConfig">Confluent's consumer settings; copied. <c>BootstrapServers</c> and <c>GroupId</c>
    /// are required; <c>EnableAutoCommit</c> is forced to false (an explicit true is an error), <c>IsolationLevel</c> to
    /// <c>ReadCommitted</c> (an explicit <c>ReadUncommitted</c> is an error). Where a new group starts is Confluent's
    /// <c>AutoOffsetReset</c>.</param>
    /// <param name="options">The source's settings, or null for the defaults.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">The configuration or an option breaks a rule; the message names it, the rule and the value.</exception>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public KafkaSource(Topic<T> target, IEventSerializer<T> serializer, ConsumerConfig consumerConfig, KafkaSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(serializer);
        options ??= new KafkaSourceOptions();
        options.Validate();
        ConsumerConfig config = KafkaClientConfigs.ForSource(consumerConfig, nameof(consumerConfig));

        _target = target;
        _serializer = serializer;
        _options = options;
        _bootstrapServers = config.BootstrapServers;
        KafkaTopic = options.KafkaTopic ?? target.Name;
        _partitions = new SourcePartition[target.PartitionCount];
        for (int i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new SourcePartition(KafkaTopic, i);
        }

        _records = new SourceRecordRing[target.PartitionCount];
        for (int i = 0; i < _records.Length; i++)
        {
            _records[i] = new SourceRecordRing(KafkaTopic, i, target.Options.Capacity);
        }

        _committedWaiters = new ProgressWaiters(p => _partitions[p].CommittedView);

        _consumer = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetPartitionsAssignedHandler((_, assigned) => OnAssigned(assigned))
            .SetPartitionsRevokedHandler((_, revoked) => OnRevoked(revoked, commit: true))
            .SetPartitionsLostHandler((_, lost) => OnRevoked(lost, commit: false))
            .Build();
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = $"hotpath:kafka-source:{KafkaTopic}",
        };
    }

    /// <summary>The Kafka topic the source reads.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public string KafkaTopic { get; }

    /// <summary>Records published into the local topic so far (updated every commit interval).</summary>
    /// <remarks>Thread safety: safe from any thread; a snapshot.</remarks>
    public long ConsumedCount => Interlocked.Read(ref _consumed);

    /// <summary>The exception that stopped the source, or null while it is healthy.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>True while the consume thread runs.</summary>
    /// <remarks>Thread safety: safe from any thread; a snapshot.</remarks>
    public bool IsRunning => _thread.IsAlive;

    /// <summary>The Kafka offset this source last committed on <paramref name="partition"/>, or -1 before its first commit.</summary>
    /// <param name="partition">The partition number.</param>
    /// <returns>The committed offset (the next record the group will read).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not a partition of the topic.</exception>
    /// <remarks>Thread safety: safe from any thread; a snapshot.</remarks>
    public long GetCommittedOffset(int partition)
    {
        if ((uint)partition >= (uint)_partitions.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(partition), partition, $"{nameof(partition)} must be between 0 and {_partitions.Length - 1}, was {partition}");
        }

        return _partitions[partition].CommittedView;
    }

    /// <summary>
    /// The Kafka record behind the event a local handler is handling: its Kafka offset (to deduplicate records consumed
    /// again after a rebalance or a restart), key, headers (for example a producer's <c>traceparent</c>:
    /// <see cref="KafkaRecord.TryGetTraceContext"/>) and timestamp.
    /// </summary>
    /// <param name="context">The context the handler was called with (<c>IContextHandler</c> and the other context handlers).</param>
    /// <param name="record">The record, or default.</param>
    /// <returns>
    /// True when the event came from this source. False for an event of another topic, one some other publisher put into
    /// the local topic, or one whose slot was reused already: a lossy group lapped by the source, a handler that committed
    /// past the event before asking, a batch context (ask per offset with the other overload).
    /// </returns>
    /// <remarks>
    /// Call it during the handler call, before committing past the event. Allocates nothing. Thread-safety: any thread
    /// (a concurrent reuse of the slot is detected, never mistaken for the record).
    /// </remarks>
    public bool TryGetRecord(in EventContext context, out KafkaRecord record)
    {
        if (context.Count != 1)
        {
            record = default;
            return false;
        }

        return TryGetRecord(context.Topic, context.Partition, context.Offset, out record);
    }

    /// <summary>The Kafka record behind local event <paramref name="offset"/> of <paramref name="partition"/> (a batch handler's span, event by event).</summary>
    /// <param name="topic">The local topic's name (a group may read several topics).</param>
    /// <param name="partition">The local partition.</param>
    /// <param name="offset">The local offset.</param>
    /// <param name="record">The record, or default.</param>
    /// <returns>True when the event came from this source and its slot was not reused since (see the other overload).</returns>
    /// <remarks>Thread-safety: any thread.</remarks>
    public bool TryGetRecord(string topic, int partition, long offset, out KafkaRecord record)
    {
        if (!string.Equals(topic, _target.Name, StringComparison.Ordinal) || (uint)partition >= (uint)_records.Length)
        {
            record = default;
            return false;
        }

        return _records[partition].TryRead(offset, out record);
    }

    /// <summary>
    /// Completes once everything this source consumed before the call was handled by every lossless local group and its
    /// offset committed to Kafka: for each partition the source owns now, Kafka's committed offset reaches the record
    /// after the last one published locally. Instead of polling <see cref="GetCommittedOffset"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (only the wait: the source goes on); the task is then cancelled.</param>
    /// <returns>A task that completes when the offsets are committed.</returns>
    /// <exception cref="KafkaBridgeException">(In the task.) A partition was revoked or lost in a Kafka rebalance before its
    /// offset was committed: its new owner consumes the rest again from the last commit.</exception>
    /// <exception cref="ObjectDisposedException">(In the task.) The source was disposed first.</exception>
    /// <remarks>Faults with the source's <see cref="Fault"/> when the source faults. Linked to a transactional mirror
    /// (<see cref="CommitOffsetsThrough{TOut}"/>), the offsets are committed with the mirror's transaction. Thread-safety:
    /// any thread.</remarks>
    public Task WaitCommittedAsync(CancellationToken cancellationToken = default)
    {
        var targets = new long[_partitions.Length];
        for (int p = 0; p < targets.Length; p++)
        {
            SourcePartition partition = _partitions[p];
            targets[p] = partition.AssignedView ? partition.ConsumedNextView : -1;
        }

        return _committedWaiters.WaitAsync(targets, cancellationToken);
    }

    /// <summary>
    /// Checks that the Kafka topic exists with the local topic's partition count, then starts the consume thread,
    /// which joins the Kafka group and resumes from its committed offsets.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start-up check.</param>
    /// <returns>A task that completes once the consume thread runs.</returns>
    /// <exception cref="KafkaBridgeException">The topic is missing, has another partition count, or the brokers did
    /// not answer within <see cref="KafkaSourceOptions.StartupTimeout"/>; the source stays stopped.</exception>
    /// <exception cref="InvalidOperationException">Already started or disposed.</exception>
    /// <remarks>Thread safety: call once, from any thread.</remarks>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, StateStarting, StateCreated) != StateCreated)
        {
            throw new InvalidOperationException(
                $"{nameof(StartAsync)} may be called once on a new source: source of '{KafkaTopic}' into '{_target.Name}' was already started or disposed");
        }

        using (IAdminClient admin = new DependentAdminClientBuilder(_consumer.Handle).Build())
        {
            await KafkaTopicCheck.EnsureAsync(
                admin, KafkaTopic, _target.Name, _target.PartitionCount, null, _bootstrapServers, _options.StartupTimeout, cancellationToken)
                .ConfigureAwait(false);
        }

        // Full fence (CAS): a Dispose that won the race leaves the thread unstarted and disposes the consumer itself.
        if (Interlocked.CompareExchange(ref _state, StateRunning, StateStarting) != StateStarting)
        {
            throw new ObjectDisposedException(nameof(KafkaSource<T>), "the source was disposed while it was starting");
        }

        _thread.Start();
    }

    /// <summary>
    /// Stops the source: the consume thread commits what is safe, leaves the Kafka group and ends (waited for at most
    /// <see cref="KafkaSourceOptions.CloseTimeout"/>). Records published locally but not yet safe stay uncommitted in
    /// Kafka and are consumed again by the group's next member. Idempotent.
    /// </summary>
    /// <remarks>Thread safety: any thread except the consume thread (a fault callback must not call it).</remarks>
    public void Dispose()
    {
        int previous = Interlocked.Exchange(ref _state, StateDisposed);
        if (previous == StateDisposed)
        {
            return;
        }

        _stopping.Cancel();
        if (previous == StateRunning)
        {
            // The thread closes and disposes the consumer itself; if it is stuck past the bound it keeps that duty.
            _thread.Join(_options.CloseTimeout);
        }
        else if (previous == StateCreated)
        {
            _consumer.Dispose();
        }

        // A source disposed while starting: StartAsync's CAS fails and it throws; the consumer leaks until finalization.
        // What the closing thread committed completed its waiters; the others can no longer be served.
        _committedWaiters.FailAll(new ObjectDisposedException(
            nameof(KafkaSource<T>), $"the source of '{KafkaTopic}' into '{_target.Name}' was disposed before Kafka's committed offsets reached the awaited ones"));
    }

    private void Run()
    {
        CancellationToken stopping = _stopping.Token;
        try
        {
            _consumer.Subscribe(KafkaTopic);
            long nextCommit = Environment.TickCount64 + (long)_options.CommitInterval.TotalMilliseconds;
            while (!stopping.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]>? result = Consume(stopping);
                if (result?.Message is not null && !Publish(result, stopping, ref nextCommit))
                {
                    break;
                }

                if (Environment.TickCount64 >= nextCommit)
                {
                    CommitRound(stopping);
                    nextCommit = Environment.TickCount64 + (long)_options.CommitInterval.TotalMilliseconds;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            RecordFault(ex, null, "consume_loop");
        }
        finally
        {
            try
            {
                if (_sink is null)
                {
                    CommitSafe(onlyPartitions: null);
                }
                else if (Fault is null)
                {
                    // What the local groups handle within CloseTimeout is committed; otherwise the transaction is aborted.
                    Checkpoint(stopping, Environment.TickCount64 + (long)_options.CloseTimeout.TotalMilliseconds, revoking: null);
                }

                // Leaves the group; the revoke callback runs here and commits once more.
                _consumer.Close();
            }
            catch (KafkaBridgeException ex)
            {
                RecordFault(ex, null, "checkpoint_failed");
            }
            catch (Exception ex) when (ex is KafkaException or ObjectDisposedException or InvalidOperationException)
            {
                KafkaMetrics.RecordError(KafkaTopic, null, "close_failed");
            }

            _consumer.Dispose();
        }
    }

    private ConsumeResult<byte[]?, byte[]>? Consume(CancellationToken stopping)
    {
        try
        {
            return _consumer.Consume(_options.PollTimeout);
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            // For example the topic is briefly unknown during a leader change: librdkafka keeps trying.
            KafkaMetrics.RecordError(KafkaTopic, ex.ConsumerRecord?.Partition.Value, ex.Error.Code.ToString());
            stopping.WaitHandle.WaitOne(_options.PollTimeout);
            return null;
        }
    }

    /// <summary>Publishes one record locally; false when the source must stop (fault or shutdown).</summary>
    private bool Publish(ConsumeResult<byte[]?, byte[]> result, CancellationToken stopping, ref long nextCommit)
    {
        int partition = result.Partition.Value;
        long kafkaOffset = result.Offset.Value;
        if ((uint)partition >= (uint)_partitions.Length)
        {
            RecordFault(
                new KafkaBridgeException(
                    KafkaTopic,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"partition counts must be equal (Kafka partition p is local partition p): Kafka topic '{KafkaTopic}' delivered " +
                        $"partition {partition}, local topic '{_target.Name}' has {_partitions.Length} partitions (were partitions added in Kafka?)"),
                    partition),
                partition,
                "partition_mismatch");
            return false;
        }

        T @event;
        try
        {
            @event = _serializer.Deserialize(result.Message.Value);
        }
        catch (EventSerializationException ex)
        {
            RecordFault(ex.WithLocation(KafkaTopic, partition, kafkaOffset), partition, "serialization");
            return false;
        }

        Partition<T> local = _target[partition];
        EventClaim<T> claim;
        while (!local.TryClaim(_options.PollTimeout, out claim))
        {
            // The local ring is full (a lossless group is behind): keep committing what it handled meanwhile.
            if (stopping.IsCancellationRequested)
            {
                return false;
            }

            if (Environment.TickCount64 >= nextCommit)
            {
                bool rewound = CommitRound(stopping);
                nextCommit = Environment.TickCount64 + (long)_options.CommitInterval.TotalMilliseconds;
                if (rewound)
                {
                    // An aborted checkpoint sent the consumer back: this record is read again, in order, from there.
                    return true;
                }
            }
        }

        long localOffset = claim.Offset;
        using (claim)
        {
            // The record's side entry first: the publication's release below orders it before any reader of the event.
            _records[partition].Write(localOffset, result);
            claim.Event = @event;
            claim.Publish();
        }

        _partitions[partition].OnPublished(localOffset, kafkaOffset);
        return true;
    }

    /// <summary>Commits, for each owned partition, the Kafka offset after the last record every lossless local reader handled.</summary>
    private void CommitSafe(List<TopicPartitionOffset>? onlyPartitions)
    {
        List<TopicPartitionOffset>? offsets = null;
        foreach (SourcePartition partition in _partitions)
        {
            if (!partition.Assigned)
            {
                continue;
            }

            if (onlyPartitions is not null && !onlyPartitions.Exists(p => p.Partition.Value == partition.Id))
            {
                continue;
            }

            if (partition.UnreportedConsumed != 0)
            {
                KafkaMetrics.Consumed.Add(partition.UnreportedConsumed, partition.Tags);
                // Read by monitoring threads; atomic so the 64-bit value never tears, no ordering implied.
                Interlocked.Add(ref _consumed, partition.UnreportedConsumed);
                partition.UnreportedConsumed = 0;
            }

            // StartOffset = the slowest lossless local reader's committed offset: what every lossless group handled.
            if (partition.Advance(_target[partition.Id].StartOffset))
            {
                (offsets ??= []).Add(new TopicPartitionOffset(partition.TopicPartition, new Offset(partition.SafeNext)));
            }
        }

        if (offsets is null)
        {
            return;
        }

        try
        {
            _consumer.Commit(offsets);
            foreach (TopicPartitionOffset offset in offsets)
            {
                _partitions[offset.Partition.Value].OnCommitted(offset.Offset.Value);
            }

            _committedWaiters.Check();
        }
        catch (KafkaException ex)
        {
            // For example REBALANCE_IN_PROGRESS: the safe offsets are kept and committed on the next round.
            KafkaMetrics.RecordError(KafkaTopic, null, "commit_failed:" + ex.Error.Code.ToString());
        }
    }

    private void OnAssigned(List<TopicPartition> assigned)
    {
        foreach (TopicPartition tp in assigned)
        {
            if ((uint)tp.Partition.Value < (uint)_partitions.Length)
            {
                _partitions[tp.Partition.Value].OnAssigned();
            }
        }
    }

    private void OnRevoked(List<TopicPartitionOffset> revoked, bool commit)
    {
        if (_sink is not null)
        {
            // Linked: a checkpoint before the partitions go (commit), or an abort of what their inputs produced (lost).
            CheckpointOnRevoke(revoked, commit);
        }
        else if (commit)
        {
            try
            {
                CommitSafe(revoked);
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException)
            {
                KafkaMetrics.RecordError(KafkaTopic, null, "commit_failed");
            }
        }

        foreach (TopicPartitionOffset tp in revoked)
        {
            if ((uint)tp.Partition.Value < (uint)_partitions.Length)
            {
                _partitions[tp.Partition.Value].OnRevoked();
                _committedWaiters.FailUnreached(tp.Partition.Value, target => RevokedBeforeCommit(tp.Partition.Value, target, commit));
            }
        }
    }

    private KafkaBridgeException RevokedBeforeCommit(int partition, long target, bool revoked) =>
        new(
            KafkaTopic,
            string.Create(
                CultureInfo.InvariantCulture,
                $"partition {partition} of '{KafkaTopic}' was {(revoked ? "revoked" : "lost")} in a Kafka rebalance before offset {target} was " +
                $"committed (committed: {_partitions[partition].CommittedView}); its new owner consumes the records from there again"),
            partition);

    private void RecordFault(Exception ex, int? partition, string errorType)
    {
        KafkaMetrics.RecordError(KafkaTopic, partition, errorType);
        // Release + first-writer-wins: readers of Fault see a fully built exception; only the first fault is reported.
        if (Interlocked.CompareExchange(ref _fault, ex, null) is null)
        {
            _committedWaiters.FailAll(ex);
            try
            {
                _options.OnFault?.Invoke(ex);
            }
            catch (Exception)
            {
                // A throwing callback must not replace the fault it was told about.
            }
        }
    }
}
