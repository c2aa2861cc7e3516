using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Internal;
using HotPath.Kafka.Serialization;
using HotPath.Partitioning;
using HotPath.Topics;
using IsolationLevel = HotPath.Consumers.IsolationLevel;

namespace HotPath.Kafka;

/// <summary>
/// Mirrors a local topic to a Kafka topic with the same partition count: local partition p goes to Kafka partition p,
/// in order, and an event counts as handled locally only once Kafka has acknowledged it.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para><b>How it works.</b> The mirror joins one member to a consumer group over the local topic that it is given;
/// the group must use <see cref="CommitMode.Manual"/> and be dedicated to the mirror. For each event the member's
/// thread serializes the value (and the key, when an <see cref="EventKeyWriter{T}"/> is given) and produces it to the
/// explicit Kafka partition with an idempotent producer and <c>acks=all</c>. At the end of each batch it waits, at most
/// <see cref="KafkaMirrorOptions.AckTimeout"/>, until Kafka acknowledged every record of the batch, and only then commits
/// the local offset past the batch. The local ring therefore keeps every event Kafka does not have yet.</para>
/// <para><b>Guarantees.</b> At least once, in order per partition: every event published locally reaches Kafka
/// partition p in local order, as long as the mirror (or a successor on the same group) runs. Duplicates come only
/// from a restart: events sent but not yet committed locally when a mirror stopped abnormally (fault, crash) are sent
/// again by the next mirror on the group. A normal <see cref="Dispose"/> finishes the current batch first, so it
/// leaves none.</para>
/// <para><b>Failures.</b> librdkafka retries transient errors itself, for up to <c>message.timeout.ms</c>. A delivery
/// error that remains (or a batch still unacknowledged after <see cref="KafkaMirrorOptions.AckTimeout"/>, or an event
/// that does not serialize, or, on a topic with <c>Partitioner.Kafka</c>, a record key that Kafka's partitioner places in
/// another partition than the local one) faults the mirror: <see cref="Fault"/> holds a <see cref="KafkaBridgeException"/> (or an
/// <see cref="EventSerializationException"/> naming the local topic, partition and offset),
/// <see cref="KafkaMirrorOptions.OnFault"/> is called, and the events of the failed batch stay uncommitted, so a new
/// mirror on the group sends them again. Nothing is dropped silently.</para>
/// <para><b>Transactional mode</b> (<see cref="KafkaMirrorOptions.TransactionalId"/>): each batch is one Kafka
/// transaction, committed before the local offset; Confluent's error classes decide what a failure does (retriable:
/// the call is retried until <see cref="KafkaMirrorOptions.AckTimeout"/>; abortable: the transaction is aborted and the
/// batch sent again in a new one, at most <see cref="MaxTransactionAttempts"/> times; fatal, fenced included: the
/// mirror faults with a <see cref="KafkaBridgeException"/> naming the transactional id). Linked to a source with
/// <see cref="KafkaSource{T}.CommitOffsetsThrough{TOut}(KafkaMirror{TOut})"/>, a transaction spans a source checkpoint instead and carries
/// the source's offsets (see that method).</para>
/// <para><b>Isolation.</b> The local group must read committed (the default for a lossless group): a mirror never sends
/// events of aborted local transactions.</para>
/// <para><b>Allocation.</b> Confluent.Kafka's produce API takes a <see cref="byte"/> array per record: the value (and
/// key) is serialized into a reused buffer and then copied once into an exactly sized array, which is the only
/// allocation of the mirror per event (Confluent itself allocates its delivery report). Message, topic-partition,
/// delivery callback and metric tags are built once.</para>
/// <para>Thread safety: <see cref="StartAsync"/> and <see cref="Dispose"/> may be called from any thread, once each;
/// the read-only properties from any thread at any time.</para>
/// </remarks>
public sealed partial class KafkaMirror<T> : IDisposable, ICheckpointSink
    where T : struct
{
    private const int StateCreated = 0;
    private const int StateStarting = 1;
    private const int StateRunning = 2;
    private const int StateDisposed = 3;

    private readonly Topic<T> _topic;
    private readonly ConsumerGroup<T> _group;
    private readonly IEventSerializer<T> _serializer;
    private readonly EventKeyWriter<T>? _keyWriter;
    private readonly KafkaMirrorOptions _options;
    private readonly string _bootstrapServers;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly MirrorPartition[] _partitions;
    private readonly Func<bool> _stopWaiting;
    private readonly bool _checkKeyPlacement;
    private readonly ProgressWaiters _mirroredWaiters;

    // Mirroring-thread state: the buffers and the one message object are reused for every event.
    private readonly ArrayBufferWriter<byte> _valueBuffer = new(256);
    private readonly ArrayBufferWriter<byte> _keyBuffer = new(64);
    private readonly Message<byte[]?, byte[]> _message = new() { Value = [] };

    private GroupMember<T>? _member;
    private int _state;
    private int _crashed;
    private long _sent;
    private Exception? _fault;
    private Error? _lastClientError;

    /// <summary>Creates a mirror; nothing touches the network until <see cref="StartAsync"/>.</summary>
    /// <param name="topic">The local topic to mirror.</param>
    /// <param name="group">A consumer group over <paramref name="topic"/> only, with <see cref="CommitMode.Manual"/>,
    /// dedicated to this mirror. Its committed offsets are the mirror's progress: keep the group alive to restart a
    /// mirror where the previous one stopped.</param>
    /// <param name="serializer">Turns events into record values.</param>
    /// <param name="producerConfig">Confluent's producer settings; copied. <c>BootstrapServers</c> is required;
    /// <c>EnableIdempotence</c> and <c>Acks</c> are forced to true and All (an explicit other value is an error).</param>
    /// <param name="options">The mirror's settings, or null for the defaults.</param>
    /// <param name="keyWriter">Writes each record's key, or null for records without a key. When the topic uses
    /// <c>Partitioner.Kafka</c>, each key must be the bytes that partitioner hashed (murmur2(key) % partitions must be the
    /// event's local partition); a key that breaks this faults the mirror, naming the key and both partitions.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">The group, the configuration or an option breaks a rule; the message names
    /// it, the rule and the value.</exception>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public KafkaMirror(
        Topic<T> topic,
        ConsumerGroup<T> group,
        IEventSerializer<T> serializer,
        ProducerConfig producerConfig,
        KafkaMirrorOptions? options = null,
        EventKeyWriter<T>? keyWriter = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(serializer);
        options ??= new KafkaMirrorOptions();
        options.Validate();
        ValidateGroup(topic, group, options);
        ProducerConfig config = KafkaClientConfigs.ForMirror(producerConfig, nameof(producerConfig), options.TransactionalId);

        _topic = topic;
        _group = group;
        _serializer = serializer;
        _keyWriter = keyWriter;
        // With Partitioner.Kafka the local partition is the one Kafka's partitioner gives the key: the record key must
        // be those bytes, or Kafka consumers and Java producers place the key elsewhere than this record.
        _checkKeyPlacement = keyWriter is not null && ReferenceEquals(topic.Options.Partitioner, HotPath.Partitioning.Partitioner.Kafka);
        _options = options;
        _bootstrapServers = config.BootstrapServers;
        KafkaTopic = options.KafkaTopic ?? topic.Name;
        _partitions = new MirrorPartition[topic.PartitionCount];
        for (int i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new MirrorPartition(KafkaTopic, i);
        }

        _transactionalId = options.TransactionalId;
        _discardBelow = new long[_partitions.Length];
        _stopWaiting = () => Volatile.Read(ref _crashed) != 0;
        _mirroredWaiters = new ProgressWaiters(p => group.GetCommittedOffset(topic.Name, p));
        _producer = new ProducerBuilder<byte[]?, byte[]>(config)
            // Client-level errors (broker down, authentication): kept for the messages of later failures.
            // Release: a reader on the mirroring thread sees a fully built Error (reference publication).
            .SetErrorHandler((_, error) => Volatile.Write(ref _lastClientError, error))
            .Build();
    }

    /// <summary>The Kafka topic the mirror writes to.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public string KafkaTopic { get; }

    /// <summary>Events Kafka acknowledged and the mirror committed locally, since this mirror started.</summary>
    /// <remarks>Thread safety: safe from any thread; a snapshot.</remarks>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>The exception that stopped the mirror, or null while it is healthy.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Completes once every event published to the local topic before the call is in Kafka: it captures each local
    /// partition's end offset and waits until the mirror's group committed it, which the mirror does only for what Kafka
    /// acknowledged. Instead of polling <see cref="SentCount"/> or the group's lag.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (only the wait: mirroring goes on); the task is then cancelled.</param>
    /// <returns>A task that completes when the captured offsets are mirrored.</returns>
    /// <exception cref="ObjectDisposedException">(In the task.) The mirror was disposed first.</exception>
    /// <remarks>
    /// Faults with the mirror's <see cref="Fault"/> when the mirror faults. In transactional mode the events are in
    /// committed Kafka transactions; linked to a source (<see cref="KafkaSource{T}.CommitOffsetsThrough{TOut}"/>) they are
    /// acknowledged inside the source's open transaction, which its next checkpoint commits. Multi-writer gaps or aborted
    /// local transactions at the very end of a partition are never handed to the mirror, so they are passed only once a
    /// later event is mirrored. Thread-safety: any thread.
    /// </remarks>
    public Task WaitMirroredAsync(CancellationToken cancellationToken = default)
    {
        var targets = new long[_partitions.Length];
        for (int p = 0; p < targets.Length; p++)
        {
            targets[p] = _topic[p].EndOffset;
        }

        return _mirroredWaiters.WaitAsync(targets, cancellationToken);
    }

    /// <summary>
    /// Checks that the Kafka topic exists with the local topic's partition count (creating it when
    /// <see cref="KafkaMirrorOptions.CreateTopicIfMissing"/> is set), then joins the group and starts mirroring from the
    /// group's committed offsets.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start-up check.</param>
    /// <returns>A task that completes once the mirror runs.</returns>
    /// <exception cref="KafkaBridgeException">The topic is missing, has another partition count, or the brokers did
    /// not answer within <see cref="KafkaMirrorOptions.StartupTimeout"/>; in transactional mode also when
    /// <c>InitTransactions</c> failed (the message names the transactional id). The mirror stays stopped.</exception>
    /// <exception cref="InvalidOperationException">Already started or disposed.</exception>
    /// <remarks>In transactional mode, <c>InitTransactions</c> runs after the topic check: it fences an older producer
    /// with the same transactional id and completes or aborts its last transaction. Thread safety: call once, from any thread.</remarks>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, StateStarting, StateCreated) != StateCreated)
        {
            throw new InvalidOperationException(
                $"{nameof(StartAsync)} may be called once on a new mirror: mirror of '{_topic.Name}' to '{KafkaTopic}' was already started or disposed");
        }

        using (IAdminClient admin = new DependentAdminClientBuilder(_producer.Handle).Build())
        {
            await KafkaTopicCheck.EnsureAsync(
                admin,
                KafkaTopic,
                _topic.Name,
                _topic.PartitionCount,
                _options.CreateTopicIfMissing ? checked((short)_topic.Options.ReplicationFactor) : null,
                _bootstrapServers,
                _options.StartupTimeout,
                cancellationToken).ConfigureAwait(false);
        }

        if (_transactionalId is not null)
        {
            await Task.Run(InitTransactions, cancellationToken).ConfigureAwait(false);
        }

        // Full fence (CAS): Dispose racing a start either sees Starting and waits for nothing, or wins and we stop here.
        if (Interlocked.CompareExchange(ref _state, StateRunning, StateStarting) != StateStarting)
        {
            throw new ObjectDisposedException(nameof(KafkaMirror<T>), "the mirror was disposed while it was starting");
        }

        // Release: Dispose reads _member with an acquire read after it observed the disposed state.
        Volatile.Write(ref _member, _group.Join(new MirrorHandler<T>(this), memberId: $"kafka-mirror-{KafkaTopic}-{Guid.NewGuid():N}"));
    }

    /// <summary>
    /// Stops mirroring: the current batch is finished (acknowledged and committed, or left uncommitted on failure),
    /// the member leaves the group, the producer flushes for at most <see cref="KafkaMirrorOptions.CloseTimeout"/> and
    /// is disposed. The group and its committed offsets stay as they are. Idempotent.
    /// </summary>
    /// <remarks>Thread safety: any thread except the mirroring thread (a fault callback must not call it).</remarks>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, StateDisposed) == StateDisposed)
        {
            return;
        }

        LeaveGroup();
        if (_transactionalId is not null)
        {
            AbortOpenTransactionOnDispose();
        }

        try
        {
            _producer.Flush(_options.CloseTimeout);
        }
        catch (KafkaException)
        {
            // Flushing is best effort: anything not acknowledged is still uncommitted locally.
        }

        _producer.Dispose();
        // The last batch's commit completed the waiters it satisfied; the others can no longer be served.
        _mirroredWaiters.FailAll(new ObjectDisposedException(
            nameof(KafkaMirror<T>), $"the mirror of '{_topic.Name}' to '{KafkaTopic}' was disposed before the awaited events were mirrored"));
    }

    /// <summary>Handles one event on the member's thread; called by <see cref="MirrorHandler{T}"/>.</summary>
    internal void OnEvent(in T @event, int partition, long offset, bool endOfBatch)
    {
        // Acquire: pairs with the release in SimulateCrash; once crashed, nothing more is produced or committed.
        if (Volatile.Read(ref _crashed) != 0)
        {
            return;
        }

        MirrorPartition state = _partitions[partition];
        if (_transactionalId is null)
        {
            Produce(state, in @event, offset);
            if (endOfBatch)
            {
                CompleteBatch(state, offset);
            }

            return;
        }

        if (!_batchOpen)
        {
            BeginTransactionalBatch(partition, offset);
            _batchOpen = true;
        }

        if (!_linked || !(_txnBroken || offset < _discardBelow[partition]))
        {
            Produce(state, in @event, offset);
        }

        if (endOfBatch)
        {
            _batchOpen = false;
            if (_linked)
            {
                CompleteLinkedBatch(state, offset);
            }
            else
            {
                CompleteTransactionalBatch(state, offset);
            }
        }
    }

    private void Produce(MirrorPartition state, in T @event, long offset)
    {
        _valueBuffer.ResetWrittenCount();
        try
        {
            _serializer.Serialize(in @event, _valueBuffer);
        }
        catch (EventSerializationException ex)
        {
            throw RecordFault(ex.WithLocation(_topic.Name, state.Id, offset), state.Id, "serialization");
        }

        byte[]? key = null;
        if (_keyWriter is not null)
        {
            _keyBuffer.ResetWrittenCount();
            _keyWriter(in @event, _keyBuffer);
            if (_checkKeyPlacement)
            {
                int kafkaPartition = KafkaPartitioner.PartitionForKey(_keyBuffer.WrittenSpan, _partitions.Length);
                if (kafkaPartition != state.Id)
                {
                    throw RecordFault(KeyPlacementFailure(state, offset, kafkaPartition), state.Id, "key_partition");
                }
            }

            key = _keyBuffer.WrittenSpan.ToArray();
        }

        // The one copy per event that Confluent's byte[] API forces; librdkafka copies it again into its own buffer.
        _message.Key = key;
        _message.Value = _valueBuffer.WrittenSpan.ToArray();
        if (_transactionalId is not null && !_linked)
        {
            // Kept for a resend should the batch's transaction abort.
            state.Kept.Add((key, _message.Value));
        }

        Send(state, offset);
    }

    /// <summary>Hands <see cref="_message"/> to the producer for <paramref name="state"/>'s partition, waiting while its queue is full.</summary>
    private void Send(MirrorPartition state, long offset)
    {
        state.OnProducing(offset);
        long queueFullDeadline = 0;
        while (true)
        {
            try
            {
                _producer.Produce(state.TopicPartition, _message, state.DeliveryHandler);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // librdkafka's queue is full: wait for deliveries to drain it, bounded by the ack time-out.
                if (queueFullDeadline == 0)
                {
                    queueFullDeadline = Environment.TickCount64 + (long)_options.AckTimeout.TotalMilliseconds;
                }
                else if (Environment.TickCount64 > queueFullDeadline || Volatile.Read(ref _crashed) != 0)
                {
                    state.OnProduceRefused();
                    throw RecordFault(DeliveryFailure(state, offset, ex.Error, "the producer queue stayed full", ex), state.Id, "queue_full");
                }

                Thread.Sleep(1);
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (_transactionalId is not null && !ex.Error.IsFatal && IsTransactionState(ex.Error))
            {
                // The transaction is already failed (an earlier delivery failed): the batch end aborts it and starts over.
                state.OnProduceRefused();
                _batchNeedsAbort = true;
                KafkaMetrics.RecordError(KafkaTopic, state.Id, "txn_produce_refused");
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex)
            {
                state.OnProduceRefused();
                throw RecordFault(DeliveryFailure(state, offset, ex.Error, "the producer refused the record", ex), state.Id, ex.Error.Code.ToString());
            }
        }
    }

    private void CompleteBatch(MirrorPartition state, long lastOffset)
    {
        long produced = state.Produced;
        if (produced == 0)
        {
            return;
        }

        long deadline = Environment.TickCount64 + (long)_options.AckTimeout.TotalMilliseconds;
        Error? error = state.WaitForBatch(deadline, _stopWaiting, out bool complete);
        // Acquire: pairs with the release in SimulateCrash.
        if (Volatile.Read(ref _crashed) != 0)
        {
            return;
        }

        if (error is not null)
        {
            throw RecordFault(DeliveryFailure(state, lastOffset, error, "Kafka reported a delivery failure", null), state.Id, "delivery_failed");
        }

        if (!complete)
        {
            throw RecordFault(AckTimeoutFailure(state, lastOffset), state.Id, "ack_timeout");
        }

        // Every record of the batch is in Kafka: the local group may now let the writer reuse these slots.
        _group.Commit(_topic.Name, state.Id, lastOffset + 1);
        state.ResetBatch();
        KafkaMetrics.Sent.Add(produced, state.Tags);
        // Read by monitoring threads; the atomic add makes the 64-bit value tear-free, no ordering is implied.
        Interlocked.Add(ref _sent, produced);
        // Last: a waiter released here sees the batch counted too.
        _mirroredWaiters.Check();
    }

    private KafkaBridgeException AckTimeoutFailure(MirrorPartition state, long lastOffset)
    {
        // Acquire: the error handler's release write; a stale or null value only shortens the message.
        Error? clientError = Volatile.Read(ref _lastClientError);
        string hint = clientError is null ? "" : $" Last client error: {clientError.Code}: {clientError.Reason}.";
        return new KafkaBridgeException(
            KafkaTopic,
            string.Create(
                CultureInfo.InvariantCulture,
                $"Kafka did not acknowledge the records of local offsets {state.BatchStart} to {lastOffset} of topic '{_topic.Name}' " +
                $"partition {state.Id} within AckTimeout={_options.AckTimeout}; they stay uncommitted locally and are sent again " +
                $"by the next mirror on group '{_group.GroupId}'.{hint}"),
            state.Id);
    }

    private KafkaBridgeException DeliveryFailure(MirrorPartition state, long offset, Error error, string what, Exception? inner) =>
        new(
            KafkaTopic,
            string.Create(
                CultureInfo.InvariantCulture,
                $"{what} for Kafka topic '{KafkaTopic}' partition {state.Id} (local topic '{_topic.Name}', local offsets " +
                $"{Math.Max(state.BatchStart, 0)} to {offset}): {error.Code}: {error.Reason}. The mirror stopped; these events stay " +
                $"uncommitted in group '{_group.GroupId}' and a new mirror sends them again."),
            state.Id,
            error.Code,
            inner);

    // Out of line: builds a message on the failure path only.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private KafkaBridgeException KeyPlacementFailure(MirrorPartition state, long offset, int kafkaPartition)
    {
        ReadOnlySpan<byte> key = _keyBuffer.WrittenSpan;
        const int Shown = 64;
        string hex = Convert.ToHexString(key[..Math.Min(key.Length, Shown)]) + (key.Length > Shown ? "..." : "");
        return new KafkaBridgeException(
            KafkaTopic,
            string.Create(
                CultureInfo.InvariantCulture,
                $"the record key must be the key the local topic's Partitioner.Kafka hashed, so that Kafka places it in the same partition: " +
                $"the key writer wrote key=0x{hex} ({key.Length} bytes) for local offset {offset} of topic '{_topic.Name}' in local partition " +
                $"{state.Id}, and Kafka's partitioner places it in partition {kafkaPartition} (murmur2(key) % {_partitions.Length}). Write the " +
                $"bytes the local partitioner hashed (for a string key its UTF-8). The mirror stopped; the event stays uncommitted in group '{_group.GroupId}'."),
            state.Id);
    }

    private Exception RecordFault(Exception ex, int? partition, string errorType)
    {
        KafkaMetrics.RecordError(KafkaTopic, partition, errorType);
        // Release + first-writer-wins: readers of Fault see a fully built exception; only the first fault is reported.
        if (Interlocked.CompareExchange(ref _fault, ex, null) is null)
        {
            _mirroredWaiters.FailAll(ex);
            try
            {
                _options.OnFault?.Invoke(ex);
            }
            catch (Exception)
            {
                // A throwing callback must not replace the fault it was told about.
            }
        }

        return ex;
    }

    private void LeaveGroup()
    {
        // Acquire: pairs with the release in StartAsync; null when the mirror never ran.
        GroupMember<T>? member = Volatile.Read(ref _member);
        if (member is null)
        {
            return;
        }

        if (member.State == MemberState.Faulted)
        {
            // The group takes a faulted member out on a pool thread; a new mirror joining before that would find the
            // partitions still owned. Wait (bounded) until it is gone.
            long deadline = Environment.TickCount64 + (long)_group.Options.RebalanceTimeout.TotalMilliseconds;
            while (_group.Members.Contains(member) && Environment.TickCount64 < deadline)
            {
                Thread.Sleep(5);
            }
        }

        member.Leave();
    }

    private static void ValidateGroup(Topic<T> topic, ConsumerGroup<T> group, KafkaMirrorOptions options)
    {
        IsolationLevel isolation = group.Options.Isolation ?? (group.Options.Lossy ? IsolationLevel.ReadUncommitted : IsolationLevel.ReadCommitted);
        if (isolation != IsolationLevel.ReadCommitted)
        {
            throw new ArgumentException(
                $"group must read committed events only (a lossless group with Isolation null or ReadCommitted), or the mirror would send events " +
                $"of aborted local transactions to Kafka: group '{group.GroupId}' has Isolation={group.Options.Isolation?.ToString() ?? "null"}, " +
                $"Lossy={group.Options.Lossy}",
                nameof(group));
        }

        if (group.Options.CommitMode != CommitMode.Manual)
        {
            throw new ArgumentException(
                $"group.Options.{nameof(ConsumerGroupOptions.CommitMode)} must be {nameof(CommitMode.Manual)}: the mirror commits only what " +
                $"Kafka acknowledged, was {group.Options.CommitMode} (group '{group.GroupId}')",
                nameof(group));
        }

        foreach (HotPath.Groups.TopicPartition partition in group.Partitions)
        {
            if (partition.Topic != topic.Name)
            {
                throw new ArgumentException(
                    $"group must read only the mirrored topic '{topic.Name}': group '{group.GroupId}' also reads '{partition.Topic}'",
                    nameof(group));
            }
        }

        if (options.AckTimeout >= group.Options.RebalanceTimeout)
        {
            throw new ArgumentException(
                $"options.{nameof(KafkaMirrorOptions.AckTimeout)} must be shorter than group.Options.{nameof(ConsumerGroupOptions.RebalanceTimeout)}, " +
                $"or a rebalance would fence the mirror while it waits for acknowledgements: AckTimeout={options.AckTimeout}, " +
                $"RebalanceTimeout={group.Options.RebalanceTimeout}",
                nameof(options));
        }
    }
}
