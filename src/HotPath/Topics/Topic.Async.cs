using HotPath.Partitions;

namespace HotPath.Topics;

/// <content>
/// Async publishing and disposal. Publishing: <c>PublishAsync</c> for every key type <c>Publish</c> takes and keyless, <c>PublishToAsync</c>
/// by partition, and <see cref="WaitToPublishAsync"/>. Each completes synchronously, allocating nothing, when the
/// partition has room; on a full ring it awaits room without blocking a thread (see
/// <see cref="Partition{T}.PublishAsync"/>). A key, also a span of bytes, only picks the partition: it is hashed before the
/// call returns, so nothing of it is kept across the wait; the event is copied into the pending operation when the call
/// waits.
/// </content>
public sealed partial class Topic<T>
{
    /// <summary>Publishes a keyed event; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key bytes; only hashed, before the call returns.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(ReadOnlySpan<byte> key, in T @event) =>
        PublishAsync(key, in @event, CancellationToken.None);

    /// <summary>Publishes a keyed event; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key bytes; only hashed, before the call returns.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(ReadOnlySpan<byte> key, in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a string key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(string key, in T @event) =>
        PublishAsync(key, in @event, CancellationToken.None);

    /// <summary>Publishes an event with a string key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(string key, in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a 32-bit integer key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(int key, in T @event) =>
        PublishAsync(key, in @event, CancellationToken.None);

    /// <summary>Publishes an event with a 32-bit integer key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(int key, in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a 64-bit integer key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(long key, in T @event) =>
        PublishAsync(key, in @event, CancellationToken.None);

    /// <summary>Publishes an event with a 64-bit integer key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(long key, in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(PartitionFor(key), in @event, cancellationToken);

    /// <summary>Publishes an event with a GUID key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(Guid key, in T @event) =>
        PublishAsync(key, in @event, CancellationToken.None);

    /// <summary>Publishes an event with a GUID key; while its partition is full, awaits room without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(Guid key, in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(PartitionFor(key), in @event, cancellationToken);

    /// <summary>
    /// Publishes a keyless event round-robin; while the chosen partition is full, awaits room in it without blocking a
    /// thread (the partition's turn is used).
    /// </summary>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(in T @event) =>
        PublishAsync(in @event, CancellationToken.None);

    /// <summary>
    /// Publishes a keyless event round-robin; while the chosen partition is full, awaits room in it without blocking a
    /// thread (the partition's turn is used).
    /// </summary>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the call).</exception>
    /// <remarks>Thread-safety: as <c>Publish</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishAsync(in T @event, CancellationToken cancellationToken) =>
        PublishToAsync(NextRoundRobin(), in @event, cancellationToken);

    /// <summary>
    /// Publishes into a given partition; while it is full, awaits room without blocking a thread (readers that commit wake
    /// it). Completes synchronously, allocating nothing, when the partition has room.
    /// </summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not a partition of the topic (thrown by the call).</exception>
    /// <exception cref="InvalidOperationException">The topic is complete.</exception>
    /// <exception cref="ObjectDisposedException">The topic was disposed, also while waiting.</exception>
    /// <exception cref="Durability.JournalException">A durable topic's journal failed while the partition was full.</exception>
    /// <remarks>Thread-safety: as <c>PublishTo</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishToAsync(int partition, in T @event) =>
        PublishToAsync(partition, in @event, CancellationToken.None);

    /// <summary>
    /// Publishes into a given partition; while it is full, awaits room without blocking a thread (readers that commit wake
    /// it). Completes synchronously, allocating nothing, when the partition has room.
    /// </summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>Partition and offset.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not a partition of the topic (thrown by the call).</exception>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (also a token cancelled before the
    /// call): nothing was claimed or published.</exception>
    /// <exception cref="InvalidOperationException">The topic is complete.</exception>
    /// <exception cref="ObjectDisposedException">The topic was disposed, also while waiting.</exception>
    /// <exception cref="Durability.JournalException">A durable topic's journal failed while the partition was full.</exception>
    /// <remarks>Thread-safety: as <c>PublishTo</c> (see <see cref="PublishMode"/>).</remarks>
    public ValueTask<PublishResult> PublishToAsync(int partition, in T @event, CancellationToken cancellationToken)
    {
        ValueTask<long> published = this[partition].PublishAsync(in @event, cancellationToken);
        return published.IsCompletedSuccessfully
            ? new ValueTask<PublishResult>(new PublishResult(partition, published.Result))
            : WithPartition(partition, published);
    }

    /// <summary>
    /// Completes with true once <paramref name="partition"/> has a free slot (then <c>TryPublishTo</c> succeeds, unless
    /// another writer took it first), with false once the topic is complete or disposed, as
    /// <c>ChannelWriter.WaitToWriteAsync</c>. Awaits without blocking a thread.
    /// </summary>
    /// <param name="partition">The partition number.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when there is room; false when the topic no longer takes events.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partition"/> is not a partition of the topic (thrown by the call).</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting, or before the call.</exception>
    /// <exception cref="Durability.JournalException">A durable topic's journal failed while the partition was full.</exception>
    /// <remarks>Thread-safety: as <c>TryPublishTo</c> (single-writer mode: call it from the partition's writer).</remarks>
    public ValueTask<bool> WaitToPublishAsync(int partition, CancellationToken cancellationToken = default) =>
        this[partition].WaitToPublishAsync(cancellationToken);

    /// <summary>
    /// Does what <see cref="Dispose"/> does without blocking a thread: completes the topic and releases its waiting writers
    /// (sync ones with <see cref="ObjectDisposedException"/>, async ones the same through their tasks); a durable topic
    /// then awaits its journaller's end (it journals what was published and persists its groups' offsets) and closes its
    /// files on the thread that continues (the final sync of those files is the one blocking step left).
    /// </summary>
    /// <returns>A task that completes once the topic is disposed; at once for an in-memory topic, or when it was disposed
    /// already.</returns>
    /// <remarks>Thread-safety: any thread; idempotent (a later call does not wait for an earlier one's close).</remarks>
    public async ValueTask DisposeAsync()
    {
        if (!BeginDispose())
        {
            return;
        }

        if (_journaller is not null)
        {
            await _journaller.StopAsync().ConfigureAwait(false);
        }

        EndDispose();
    }

    private static async ValueTask<PublishResult> WithPartition(int partition, ValueTask<long> pending) =>
        new(partition, await pending.ConfigureAwait(false));
}
