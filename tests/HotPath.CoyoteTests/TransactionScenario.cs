using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Building blocks of the transaction tests: a stopped coordinator, publishers it does not check, publishes in the open
/// transaction (by event, by claim, by batch, an abandoned claim), and a read-committed reader and its loop.
/// </summary>
/// <remarks>
/// The coordinator's time-out checks run on a thread of its own, which Coyote would not control: each test makes its
/// coordinator before the schedules and disposes it at once (<see cref="StoppedCoordinator"/>), and builds its publishers
/// directly, not registered with it (as <see cref="TransactionCoordinator.CreatePublisher"/> builds them). A time-out or a
/// fence is a test thread calling <c>AbortFromOutside</c> with the arguments the coordinator's check,
/// <c>CreatePublisher</c> or a transactional group member passes. Event values: plain events from 1000 on; the events of
/// transaction <c>t</c> are <c>100 t + k</c>, <c>k</c> from 1.
/// </remarks>
internal static class TransactionScenario
{
    /// <summary>A coordinator whose time-out thread was told to stop before the schedules begin (see the remarks).</summary>
    public static TransactionCoordinator StoppedCoordinator()
    {
        var coordinator = new TransactionCoordinator();
        coordinator.Dispose();
        return coordinator;
    }

    /// <summary>A publisher built as <see cref="TransactionCoordinator.CreatePublisher"/> builds one, but not registered for time-out checks.</summary>
    public static TransactionalPublisher Publisher(TransactionCoordinator coordinator, string id = "coyote") =>
        new(coordinator, id, epoch: 0, TimeSpan.FromMinutes(1));

    /// <summary>Publishes one event to partition 0 in the open transaction; returns its offset.</summary>
    public static long PublishTo(TransactionalPublisher publisher, Topic<Stamped> topic, long value) =>
        publisher.PublishTo(topic, 0, Event(value)).Offset;

    /// <summary>Claims a slot of partition 0 in the open transaction, fills it field by field, publishes; returns its offset.</summary>
    public static long PublishByClaim(TransactionalPublisher publisher, Topic<Stamped> topic, long value)
    {
        using TransactionalClaim<Stamped> claim = publisher.Claim(topic, 0);
        claim.Event.Value = value;
        claim.Event.Check = ~value;
        claim.Publish();
        return claim.Offset;
    }

    /// <summary>Publishes <paramref name="values"/> as one batch to partition 0 in the open transaction.</summary>
    public static IEnumerable<(long Offset, long Value)> PublishBatch(
        TransactionalPublisher publisher, Topic<Stamped> topic, params long[] values)
    {
        long first = publisher.PublishBatch(topic, 0, values.Select(Event).ToArray()).Offset;
        return values.Select((value, i) => (first + i, value)).ToList();
    }

    /// <summary>Claims a slot of partition 0 in the open transaction, writes one field, abandons the claim (a fill that threw).</summary>
    public static void AbandonClaim(TransactionalPublisher publisher, Topic<Stamped> topic, long value)
    {
        using TransactionalClaim<Stamped> claim = publisher.Claim(topic, 0);
        claim.Event.Value = value;
    }

    /// <summary>A lossless read-committed cursor on <paramref name="partition"/>, from its earliest offset.</summary>
    public static ReadCursor<Stamped> ReadCommitted(Partition<Stamped> partition) =>
        new(partition, OffsetReset.Earliest, offset: null, readCommitted: true);

    /// <summary>
    /// Dispatches and commits until <paramref name="done"/> holds and the reader has passed the end offset: a last stable
    /// offset left behind (an entry never closed) keeps it spinning, which Coyote reports at the step bound.
    /// </summary>
    public static void ReadCommittedUntilDone(ReadCursor<Stamped> cursor, Recorder recorder, Func<bool> done)
    {
        while (!done() || cursor.Position < cursor.Partition.EndOffset)
        {
            if (cursor.Dispatch(ref recorder, 4) == 0)
            {
                Thread.Yield();
                continue;
            }

            Assert.True(cursor.TryCommitPosition(), "an unfenced cursor's commit is refused");
        }
    }

    private static Stamped Event(long value) => new() { Value = value, Check = ~value };
}
