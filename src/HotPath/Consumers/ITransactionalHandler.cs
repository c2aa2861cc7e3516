using HotPath.Transactions;

namespace HotPath.Consumers;

/// <summary>
/// Consume-transform-produce, exactly once: handles a member's events inside a transaction that the member begins before
/// the batch and commits after it, together with the batch's input offsets. What the handler publishes through
/// <c>transaction</c> and the offsets it consumed take effect atomically; read-committed readers of the outputs see each
/// output exactly once, across handler exceptions, member failures, hangs past the session time-out and rebalances.
/// </summary>
/// <typeparam name="T">The input event type.</typeparam>
/// <remarks>
/// <para>Joined with <c>ConsumerGroup.JoinTransactional</c>. A batch is what the member hands out of one partition in one
/// pass (up to <see cref="ConsumerGroupOptions.MaxBatchSize"/> events), all in one transaction; the last event of a batch
/// comes with <c>endOfBatch</c> set. Publish only through <c>transaction</c> (its <c>Publish</c>, <c>PublishTo</c>,
/// <c>PublishBatch</c>, <c>Claim</c> and <c>ClaimBatch</c>); the member begins and commits it, and calling <c>Begin</c>,
/// <c>Commit</c> or <c>Abort</c> from the handler throws.</para>
/// <para><b>Failures.</b> When the handler throws, the transaction aborts (none of its outputs is ever handed to a
/// read-committed reader) and the batch is handed out again: the events before the failing one in a transaction of
/// their own, then the failing event first in its batch. Each failure counts as an attempt of the group's
/// <see cref="ErrorPolicy"/> and is reported through its <c>OnError</c> when it happens; the policy's decision (retry
/// after its backoff, skip, dead-letter or stop) applies when the failing event comes up first, so the handler gets a
/// failing event at most <c>MaxAttempts</c> times. A member declared failed (crashed, hung past the session time-out) has its open transaction aborted and
/// its publisher fenced; the partition's next owner resumes from the committed offset. A transaction the coordinator
/// aborts (open longer than its time-out: keep it above the time a batch takes) is handed out again.</para>
/// <para>Thread-safety: one handler instance is called by one thread at a time (see <see cref="IEventHandler{T}"/>, also
/// for what a struct handler's fields hold).</para>
/// </remarks>
public interface ITransactionalHandler<T>
    where T : struct
{
    /// <summary>Handles one event inside the member's open transaction.</summary>
    /// <param name="event">The event, read in place in the ring; valid only during the call.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">The event's offset.</param>
    /// <param name="endOfBatch">True for the last event of the batch (the transaction commits after it).</param>
    /// <param name="transaction">The member's publisher, with its transaction open: publish the outputs through it.</param>
    void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction);
}
