using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Durability;
using HotPath.Internal;
using HotPath.Partitioning;
using HotPath.Partitions;

namespace HotPath.Topics;

/// <summary>
/// A topic: <see cref="PartitionCount"/> partitions, each a ring of preallocated slots that holds events of
/// type <typeparamref name="T"/> in place. A key's hash picks the partition, so all events of one key stay in
/// order; each event gets its partition-local offset.
/// </summary>
/// <typeparam name="T">The event type: a struct, stored in place, never boxed.</typeparam>
/// <remarks>
/// <para>Routing: keyed events go to <c>Partitioner.PartitionFor(key, PartitionCount)</c>; typed keys are
/// encoded on the stack as the partitioner documents (XxHash3: UTF-8 strings, little-endian numbers). Keyless
/// events go round-robin over the partitions of this topic: one rotation per topic, shared by its publishing
/// threads (exact for one publisher at a time; concurrent keyless publishers may occasionally both take the same
/// turn, without lock or atomic operation).</para>
/// <para>Backpressure: a writer never overwrites an event that a lossless reader has not committed past.
/// <c>Publish</c> waits with the topic's wait strategy, <c>TryPublish</c> returns false at once. For every key type,
/// keyless and by partition, <c>Publish</c> also takes a <see cref="CancellationToken"/> and <c>TryPublish</c> a
/// time-out: the way out for a writer whose ring stays full (a lossless reader that stopped committing). A cancelled or
/// timed-out call publishes nothing; <see cref="Dispose"/> releases every waiting writer.</para>
/// <para>Thread-safety: in <see cref="PublishMode.MultiWriter"/> mode every member is safe from any thread. In
/// <see cref="PublishMode.SingleWriter"/> mode, publishing into one partition must come from one thread at a
/// time (keyed or keyless routing may pick any partition: then one thread at a time for the whole topic).</para>
/// </remarks>
public sealed partial class Topic<T> : IDisposable, IAsyncDisposable
    where T : struct
{
    private readonly Partition<T>[] _partitions;
    private readonly Partitioner _partitioner;
    private readonly bool _keysGoToPartitionZero;

    // The partition the next keyless event goes to, in [0, PartitionCount). Written by every keyless publisher with a
    // plain read and a plain write (see NextRoundRobin); padded so that those writes do not evict the read-only fields
    // above from the caches of keyed publishers.
    private PaddedLong _keylessNext;
    private int _disposed;
    private readonly TopicStorage? _storage;
    private readonly TopicJournaller<T>? _journaller;
    private Exception? _closeFault;

    /// <summary>Creates a topic; the options are validated here.</summary>
    /// <param name="options">The topic's shape.</param>
    /// <exception cref="ArgumentException">An option breaks its rule; the message names it, the rule and the value.</exception>
    public Topic(TopicOptions options)
    {
        if (options is null)
        {
            ThrowHelper.ArgumentNull(nameof(options));
        }

        options.Validate();
        Options = options;
        _partitioner = options.Partitioner;
        // A built-in partitioner maps every key to partition 0 of a one-partition topic (XXH3: Lemire's reduction times 1;
        // Kafka: a value modulo 1), so such a topic skips the hash. A user's partitioner is always asked.
        _keysGoToPartitionZero = options.PartitionCount == 1 && _partitioner is (XxHash3Partitioner or KafkaMurmur2Partitioner);
        if (options.Durability is not null)
        {
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                ThrowHelper.Argument(
                    nameof(options),
                    $"options.{nameof(TopicOptions.Durability)} needs an event type without references (it is journaled as its bytes): {typeof(T)} holds a reference field");
            }

            _storage = TopicStorage.Open(options, Unsafe.SizeOf<T>(), typeof(T).FullName ?? typeof(T).Name);
        }

        _partitions = new Partition<T>[options.PartitionCount];
        for (int i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new Partition<T>(options.Name, i, options.Capacity, options.PublishMode, options.WaitStrategy, _storage?.Partitions[i], options.PropagateTraceContext);
        }

        if (_storage is not null)
        {
            try
            {
                _journaller = new TopicJournaller<T>(options.Name, _partitions, options.Durability!, _storage.Offsets, _storage.Recovery.GroupOffsets);
            }
            catch
            {
                // The directory's lock must not outlive a topic that was never built.
                _storage.Dispose();
                throw;
            }
        }

        HotPathMetrics.Register(this, new MetricsSource(this));
    }

    /// <summary>The topic's options.</summary>
    public TopicOptions Options { get; }

    /// <summary>True when the topic journals its events (<see cref="TopicOptions.Durability"/>).</summary>
    public bool IsDurable => _storage is not null;

    /// <summary>What opening a durable topic's files found and recovered; null for an in-memory topic.</summary>
    public TopicRecovery? Recovery => _storage?.Recovery;

    /// <summary>The failure that stopped a durable topic's journal, or null. Thread-safety: any thread.</summary>
    public Exception? JournalFault => _journaller?.Fault ?? Volatile.Read(ref _closeFault);

    internal TopicJournaller<T>? Journaller => _journaller;

    /// <summary>
    /// Deletes the committed offsets stored for consumer group <paramref name="groupId"/> on this durable topic (Kafka's
    /// <c>DeleteConsumerGroupOffsets</c>): the next group with that id starts as a new one (its
    /// <see cref="Consumers.ConsumerGroupOptions.AutoOffsetReset"/>), and retention no longer keeps segments for it. A
    /// stored offset otherwise holds retention for as long as it exists, so delete those of groups that are gone for good.
    /// </summary>
    /// <param name="groupId">The group; no group with that id may be live on this topic.</param>
    /// <returns>The partitions whose stored offset was deleted, ascending (empty when there was none).</returns>
    /// <exception cref="ArgumentException"><paramref name="groupId"/> is null or empty.</exception>
    /// <exception cref="InvalidOperationException">The topic is not durable, or a group with that id is live on it.</exception>
    /// <exception cref="ObjectDisposedException">The topic was disposed.</exception>
    /// <exception cref="JournalException">The offsets could not be written.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public IReadOnlyList<int> DeleteStoredOffsets(string groupId)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            ThrowHelper.Argument(nameof(groupId), $"{nameof(groupId)} must not be null or empty, was '{groupId}'");
        }

        if (_journaller is null)
        {
            ThrowHelper.InvalidOperation($"topic '{Name}' is not durable: it stores no offsets (set TopicOptions.Durability)");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _journaller.DeleteStoredOffsets(groupId, _storage!.Transactions.GetIfExists());
    }

    /// <summary>A durable group sought <paramref name="partition"/> back to <paramref name="offset"/>: see <see cref="TopicJournaller{T}.StoreSoughtOffset"/>.</summary>
    internal void StoreSoughtOffset(string groupId, int partition, long offset) =>
        _journaller?.StoreSoughtOffset(groupId, partition, offset, _storage!.Transactions.GetIfExists());

    /// <summary>
    /// Waits until the event <paramref name="published"/> names is acknowledged under the topic's
    /// <see cref="SyncPolicy"/>: journaled to the operating system (<see cref="SyncPolicy.None"/>), or forced to stable
    /// storage (the other policies). For an in-memory topic, every published event counts as acknowledged.
    /// </summary>
    /// <param name="published">What a publish returned.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>False when <paramref name="timeout"/> passed first.</returns>
    /// <exception cref="JournalException">The journal failed: the event will never be acknowledged by this process.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public bool WaitAcknowledged(PublishResult published, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        this[published.Partition].WaitAcknowledged(published.Offset, timeout, cancellationToken);

    /// <summary>The topic name.</summary>
    public string Name => Options.Name;

    /// <summary>The number of partitions.</summary>
    public int PartitionCount => _partitions.Length;

    /// <summary>Slots per partition.</summary>
    public int Capacity => Options.Capacity;

    /// <summary>The partitions, by number.</summary>
    public IReadOnlyList<Partition<T>> Partitions => _partitions;

    /// <summary>True once <see cref="Complete"/> or <see cref="Dispose"/> was called.</summary>
    public bool IsCompleted => _partitions[0].IsCompleted;

    /// <summary>The partition with number <paramref name="partition"/>.</summary>
    /// <param name="partition">From 0 to <see cref="PartitionCount"/> - 1.</param>
    public Partition<T> this[int partition]
    {
        get
        {
            if ((uint)partition >= (uint)_partitions.Length)
            {
                ThrowPartitionOutOfRange(partition);
            }

            return _partitions[partition];
        }
    }

    // ------------------------------------------------------------------ routing
    // Each key type has one PartitionFor, and each way of publishing (wait, wait with a token, try now, try with a
    // time-out) has one partition-level implementation (PublishTo, TryPublishTo); every keyed or keyless overload is
    // the one-line composition of the two, so the plain Publish does exactly what it did: hash, then Partition.Publish.

    /// <summary>The partition a key goes to.</summary>
    /// <param name="key">The key bytes.</param>
    /// <returns>The partition number.</returns>
    public int PartitionFor(ReadOnlySpan<byte> key) => _keysGoToPartitionZero ? 0 : _partitioner.PartitionFor(key, _partitions.Length);

    /// <summary>The partition a string key (UTF-8, or as the partitioner documents) goes to.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The partition number.</returns>
    public int PartitionFor(string key) =>
        _keysGoToPartitionZero && key is not null ? 0 : _partitioner.PartitionFor(key!, _partitions.Length);

    /// <summary>
    /// The partition a 32-bit integer key goes to, hashed as the partitioner encodes <see cref="int"/> keys (4 bytes;
    /// <see cref="Partitioner.Kafka"/>: Kafka's <c>IntegerSerializer</c>). Smaller integer types widen to this overload.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns>The partition number.</returns>
    public int PartitionFor(int key) => _keysGoToPartitionZero ? 0 : _partitioner.PartitionFor(key, _partitions.Length);

    /// <summary>
    /// The partition a 64-bit integer key goes to, hashed as the partitioner encodes <see cref="long"/> keys (8 bytes;
    /// <see cref="Partitioner.Kafka"/>: Kafka's <c>LongSerializer</c>).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns>The partition number.</returns>
    public int PartitionFor(long key) => _keysGoToPartitionZero ? 0 : _partitioner.PartitionFor(key, _partitions.Length);

    /// <summary>The partition a GUID key goes to.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The partition number.</returns>
    public int PartitionFor(Guid key) => _keysGoToPartitionZero ? 0 : _partitioner.PartitionFor(key, _partitions.Length);

    // ------------------------------------------------------------------ publishing, waiting for room

    /// <summary>Publishes a keyed event, waiting while its partition is full.</summary>
    /// <param name="key">The key bytes.</param>
    /// <param name="event">The event, copied once into its slot.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(ReadOnlySpan<byte> key, in T @event) => PublishTo(PartitionFor(key), in @event);

    /// <summary>Publishes a keyed event, waiting while its partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="key">The key bytes.</param>
    /// <param name="event">The event, copied once into its slot.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(ReadOnlySpan<byte> key, in T @event, CancellationToken cancellationToken) =>
        PublishTo(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a string key, waiting while its partition is full.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(string key, in T @event) => PublishTo(PartitionFor(key), in @event);

    /// <summary>Publishes an event with a string key, waiting while its partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(string key, in T @event, CancellationToken cancellationToken) =>
        PublishTo(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a 32-bit integer key (see <see cref="PartitionFor(int)"/>), waiting while its partition is full.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(int key, in T @event) => PublishTo(PartitionFor(key), in @event);

    /// <summary>Publishes an event with a 32-bit integer key, waiting while its partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(int key, in T @event, CancellationToken cancellationToken) =>
        PublishTo(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a 64-bit integer key (see <see cref="PartitionFor(long)"/>), waiting while its partition is full.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(long key, in T @event) => PublishTo(PartitionFor(key), in @event);

    /// <summary>Publishes an event with a 64-bit integer key, waiting while its partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(long key, in T @event, CancellationToken cancellationToken) =>
        PublishTo(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a GUID key, waiting while its partition is full.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(Guid key, in T @event) => PublishTo(PartitionFor(key), in @event);

    /// <summary>Publishes an event with a GUID key, waiting while its partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(Guid key, in T @event, CancellationToken cancellationToken) =>
        PublishTo(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes a keyless event round-robin, waiting while the chosen partition is full.</summary>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult Publish(in T @event) => PublishTo(NextRoundRobin(), in @event);

    /// <summary>Publishes a keyless event round-robin, waiting while the chosen partition is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then (the partition's turn is used).</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult Publish(in T @event, CancellationToken cancellationToken) =>
        PublishTo(NextRoundRobin(), in @event, cancellationToken);

    /// <summary>Publishes into a given partition, waiting while it is full.</summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    public PublishResult PublishTo(int partition, in T @event) => new(partition, this[partition].Publish(in @event));

    /// <summary>Publishes into a given partition, waiting while it is full, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    public PublishResult PublishTo(int partition, in T @event, CancellationToken cancellationToken) =>
        new(partition, this[partition].Publish(in @event, cancellationToken));

    // ------------------------------------------------------------------ publishing if there is room

    /// <summary>Publishes a keyed event if its partition has a free slot now.</summary>
    /// <param name="key">The key bytes.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(ReadOnlySpan<byte> key, in T @event, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, out result);

    /// <summary>Publishes a keyed event, waiting at most <paramref name="timeout"/> for a free slot in its partition.</summary>
    /// <param name="key">The key bytes.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    public bool TryPublish(ReadOnlySpan<byte> key, in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, timeout, out result);

    /// <summary>Publishes an event with a string key if its partition has a free slot now.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(string key, in T @event, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, out result);

    /// <summary>Publishes an event with a string key, waiting at most <paramref name="timeout"/> for a free slot in its partition.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    public bool TryPublish(string key, in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, timeout, out result);

    /// <summary>Publishes an event with a 32-bit integer key (see <see cref="PartitionFor(int)"/>) if its partition has a free slot now.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(int key, in T @event, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, out result);

    /// <summary>Publishes an event with a 32-bit integer key, waiting at most <paramref name="timeout"/> for a free slot in its partition.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    public bool TryPublish(int key, in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, timeout, out result);

    /// <summary>Publishes an event with a 64-bit integer key (see <see cref="PartitionFor(long)"/>) if its partition has a free slot now.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(long key, in T @event, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, out result);

    /// <summary>Publishes an event with a 64-bit integer key, waiting at most <paramref name="timeout"/> for a free slot in its partition.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    public bool TryPublish(long key, in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, timeout, out result);

    /// <summary>Publishes an event with a GUID key if its partition has a free slot now.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(Guid key, in T @event, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, out result);

    /// <summary>Publishes an event with a GUID key, waiting at most <paramref name="timeout"/> for a free slot in its partition.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    public bool TryPublish(Guid key, in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(PartitionFor(key), in @event, timeout, out result);

    /// <summary>Publishes a keyless event round-robin if the chosen partition has a free slot now.</summary>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublish(in T @event, out PublishResult result) => TryPublishTo(NextRoundRobin(), in @event, out result);

    /// <summary>Publishes a keyless event round-robin, waiting at most <paramref name="timeout"/> for a free slot in the chosen partition.</summary>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published (the partition's turn is used).</returns>
    public bool TryPublish(in T @event, TimeSpan timeout, out PublishResult result) =>
        TryPublishTo(NextRoundRobin(), in @event, timeout, out result);

    /// <summary>Publishes into a given partition if it has a free slot now.</summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <param name="result">Partition and offset; the offset is -1 when the partition was full.</param>
    /// <returns>False when the partition was full.</returns>
    public bool TryPublishTo(int partition, in T @event, out PublishResult result)
    {
        bool published = this[partition].TryPublish(in @event, out long offset);
        result = new PublishResult(partition, offset);
        return published;
    }

    /// <summary>Publishes into a given partition, waiting at most <paramref name="timeout"/> for a free slot.</summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait. Must not be negative.</param>
    /// <param name="result">Partition and offset; the offset is -1 on time-out.</param>
    /// <returns>False on time-out: nothing was published.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public bool TryPublishTo(int partition, in T @event, TimeSpan timeout, out PublishResult result)
    {
        bool published = this[partition].TryPublish(in @event, timeout, out long offset);
        result = new PublishResult(partition, offset);
        return published;
    }

    /// <summary>
    /// Creates a lossless pull reader of one partition, starting per <paramref name="reset"/> or at
    /// <paramref name="offset"/>. Consumer groups build on the same mechanism.
    /// </summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="reset">Where to start; default <see cref="OffsetReset.Earliest"/> (the oldest retained event).</param>
    /// <param name="offset">An explicit start within the retained window, or null.</param>
    /// <param name="isolation">Which transactional events it sees; default <see cref="IsolationLevel.ReadCommitted"/>, as for groups.</param>
    /// <returns>The reader; dispose it to stop gating the writer.</returns>
    public PartitionReader<T> CreateReader(
        int partition, OffsetReset reset = OffsetReset.Earliest, long? offset = null, IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        new(this[partition], reset, offset, isolation);

    /// <summary>Marks every partition complete: publishing throws from now on, readers drain what was published.</summary>
    /// <remarks>Thread-safety: any thread; idempotent.</remarks>
    public void Complete()
    {
        foreach (Partition<T> partition in _partitions)
        {
            partition.Complete();
        }
    }

    /// <summary>
    /// Graceful completion: marks the topic complete, then waits until every lossless reader of every partition (each
    /// lossless consumer group and pull reader) has committed everything published before completion. Lossy groups
    /// are not waited for. Consumer groups that drained end their members (see <c>ConsumerGroup.Completion</c>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the topic stays complete).</param>
    /// <returns>A task that completes once the lossless readers drained.</returns>
    /// <remarks>Thread-safety: any thread.</remarks>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        Complete();
        int delay = 1;
        while (!_partitions.All(p => p.MinGatingSequence() >= p.EndOffset))
        {
            // A shutdown path: polling with a short, growing nap keeps the hot path free of completion signalling.
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 20);
        }
    }

    /// <summary>
    /// Completes the topic and releases writers waiting on a full ring with <see cref="ObjectDisposedException"/>. A
    /// durable topic then journals what was published, persists its groups' committed offsets, closes its files and
    /// releases its directory.
    /// </summary>
    /// <remarks>Thread-safety: any thread; idempotent; an in-memory topic never blocks, a durable one waits for its journal
    /// (<see cref="DisposeAsync"/> awaits it instead).</remarks>
    public void Dispose()
    {
        if (!BeginDispose())
        {
            return;
        }

        _journaller?.Stop();
        EndDispose();
    }

    /// <summary>
    /// The first disposal (false for later ones): completes the partitions and releases their waiting writers. A durable
    /// topic's journaller is stopped next (it journals what was published and persists its groups' offsets).
    /// </summary>
    private bool BeginDispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        foreach (Partition<T> partition in _partitions)
        {
            partition.Dispose();
        }

        return true;
    }

    /// <summary>After the journaller stopped: closes a durable topic's files and unregisters the topic's metrics.</summary>
    private void EndDispose()
    {
        // A failure to close (the final sync) is kept in JournalFault, not thrown: what was acknowledged is on disk already.
        if (_storage?.Close() is Exception closing && _journaller?.Fault is null)
        {
            // Release: the exception is built before a reader of JournalFault (acquire) sees the reference.
            Volatile.Write(ref _closeFault, new JournalException(_storage.Directory.Path, $"topic '{Name}' could not close its journal cleanly: {closing.Message}", closing));
        }

        HotPathMetrics.Unregister(this);
    }

    private int NextRoundRobin()
    {
        // Plain read and write, a benign race: two publishers that read the same value send their events to the same
        // partition and the rotation skips nothing but that turn; per-key order is not involved (no key). Every value
        // ever written is in [0, PartitionCount), so any value read is too, even a torn read of the long on a 32-bit
        // platform (the high half is always 0). No Interlocked: a locked increment costs several times the plain pair
        // and the rotation needs no atomicity. No division: the value wraps at the partition count. One partition (the
        // default): nothing to rotate and nothing to store; a store per event is what the publish path is bound by (with
        // the rotation's store of 0 the default keyless publish ran at 0.53x the single-writer row, a long key at 0.62x).
        if (_partitions.Length == 1)
        {
            return 0;
        }

        int partition = (int)_keylessNext.Value;
        int next = partition + 1;
        _keylessNext.Value = next < _partitions.Length ? next : 0;
        return partition;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPartitionOutOfRange(int partition) =>
        ThrowHelper.ArgumentOutOfRange(nameof(partition), $"must be between 0 and {_partitions.Length - 1} for topic '{Name}'", partition);

    /// <summary>Reports events published per partition to <see cref="HotPathMetrics"/>, and a durable topic's journal: retained start, unacknowledged events, bytes.</summary>
    private sealed class MetricsSource(Topic<T> topic) : IMetricsSource
    {
        public void Collect(MetricKind instrument, List<Measurement<long>> measurements)
        {
            if (instrument is not (MetricKind.Sent or MetricKind.JournalStart or MetricKind.JournalUnacknowledged or MetricKind.JournalBytes)
                || (instrument != MetricKind.Sent && !topic.IsDurable))
            {
                return;
            }

            foreach (Partition<T> partition in topic._partitions)
            {
                long value = instrument switch
                {
                    MetricKind.JournalStart => partition.StartOffset,
                    MetricKind.JournalUnacknowledged => Math.Max(0, partition.EndOffset - partition.AcknowledgedEnd),
                    MetricKind.JournalBytes => partition.Journal!.Journal.SizeBytes,
                    _ => partition.EndOffset,
                };
                measurements.Add(new(
                    value,
                    new KeyValuePair<string, object?>("messaging.system", "hotpath"),
                    new KeyValuePair<string, object?>("messaging.destination.name", topic.Name),
                    new KeyValuePair<string, object?>("messaging.destination.partition.id", partition.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }
        }
    }
}
