using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;
using Xunit.Abstractions;
using static HotPath.CoyoteTests.TransactionScenario;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests of a read-committed reader against transactions: it stops at the last stable offset and steps over
/// the aborted log (<c>TransactionIndex</c>, <c>ReadCursor.ReadableEnd</c>/<c>RefreshGaps</c>) while transactions commit,
/// abort and interleave on its partition, when it registers during an open transaction, and when it parks on one (the
/// wake-up by the transaction's end alone).
/// </summary>
/// <remarks>Set-up and event values: see <see cref="TransactionScenario"/>.</remarks>
public sealed class ReadCommittedProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// One writer thread publishes plain events and four transactions on a 4-slot ring (the first and third commit, the
    /// second and fourth abort; a plain event inside the first one's span, an abandoned plain claim after the second, an
    /// abandoned claim inside the third: gaps in multi-writer mode, offsets given back to the next claim in single-writer
    /// mode), while a lossless read-committed reader dispatches and commits.
    /// The reader must stop at the last stable offset and step over aborted offsets: at every hand-out the event is plain
    /// or of a transaction whose commit has begun, and in the end it has been handed exactly the plain and committed
    /// events, in offset order.
    /// </summary>
    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void ReadCommittedReader_TransactionsCommitAndAbortWhileItReads_HandsOutExactlyThePlainAndCommittedEventsInOrder(PublishMode mode)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, mode);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher publisher = Publisher(coordinator);
            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            var published = new List<(long Offset, long Value)>();
            int commitCalled = 0;
            bool done = false;

            Thread writer = Scenario.Start(() =>
            {
                published.Add((Scenario.Publish(partition, 1000), 1000));

                publisher.Begin();
                published.Add((PublishTo(publisher, topic, 101), 101));
                published.Add((Scenario.Publish(partition, 1001), 1001));
                published.Add((PublishByClaim(publisher, topic, 102), 102));
                Volatile.Write(ref commitCalled, 1);
                publisher.Commit();

                publisher.Begin();
                published.Add((PublishTo(publisher, topic, 201), 201));
                published.AddRange(PublishBatch(publisher, topic, 202, 203));
                publisher.Abort();

                published.Add((Scenario.Publish(partition, 1002), 1002));
                Scenario.Abandon(partition, 1003);

                publisher.Begin();
                published.AddRange(PublishBatch(publisher, topic, 301, 302));
                AbandonClaim(publisher, topic, 303);
                published.Add((PublishTo(publisher, topic, 304), 304));
                Volatile.Write(ref commitCalled, 3);
                publisher.Commit();

                publisher.Begin();
                published.Add((PublishByClaim(publisher, topic, 401), 401));
                publisher.Abort();
                Volatile.Write(ref done, true);
            });

            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen, (offset, @event) =>
            {
                long transaction = @event.Value / 100;
                if (!@event.IsIntact || @event.Value < 100)
                {
                    return $"offset {offset} was handed out torn, or empty (a gap): {@event}";
                }

                if (@event.Value >= 1000)
                {
                    return null;
                }

                if (!Commits(transaction))
                {
                    return $"offset {offset} of aborted transaction {transaction} was handed out: {@event}";
                }

                return transaction > Volatile.Read(ref commitCalled)
                    ? $"offset {offset} of transaction {transaction} was handed out while it was open: {@event}"
                    : null;
            });
            ReadCommittedUntilDone(cursor, recorder, () => Volatile.Read(ref done));
            writer.Join();

            recorder.AssertNoViolations();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(
                published.Where(p => p.Value >= 1000 || Commits(p.Value / 100)).OrderBy(p => p.Offset),
                seen.Select(s => (s.Offset, s.Event.Value)));
            Assert.Equal(published.Count(p => p.Value < 1000 && !Commits(p.Value / 100)), cursor.Aborted);
            Assert.Equal(partition.EndOffset, partition.LastStableOffset);
        }, iterations: 500, output, variant: mode.ToString());

        static bool Commits(long transaction) => transaction % 2 == 1;
    }

    /// <summary>
    /// Two transactions interleave their events on one multi-writer partition (4 slots); one commits, the other aborts.
    /// The last stable offset is the first offset of the oldest open one: a read-committed reader gets the committed
    /// transaction's events once its commit began and never the aborted one's, also when the aborted one began first or
    /// ends last.
    /// </summary>
    [Fact]
    public void TwoTransactionsInterleaveOnOnePartition_OneAborts_ReaderGetsOnlyTheCommittedOnesEvents()
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher first = Publisher(coordinator, "first");
            using TransactionalPublisher second = Publisher(coordinator, "second");
            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            Scenario.Publish(partition, 1000);
            bool commitCalled = false;
            int ended = 0;

            Thread committing = Scenario.Start(() =>
            {
                first.Begin();
                PublishTo(first, topic, 101);
                PublishByClaim(first, topic, 102);
                Volatile.Write(ref commitCalled, true);
                first.Commit();
                Interlocked.Increment(ref ended);
            });

            Thread aborting = Scenario.Start(() =>
            {
                second.Begin();
                PublishTo(second, topic, 201);
                PublishTo(second, topic, 202);
                second.Abort();
                Interlocked.Increment(ref ended);
            });

            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen, (offset, @event) => (@event.Value / 100) switch
            {
                2 => $"offset {offset} of the aborted transaction was handed out: {@event}",
                1 when !Volatile.Read(ref commitCalled) =>
                    $"offset {offset} of the committing transaction was handed out while it was open: {@event}",
                _ => null,
            });
            ReadCommittedUntilDone(cursor, recorder, () => Volatile.Read(ref ended) == 2);
            committing.Join();
            aborting.Join();

            recorder.AssertNoViolations();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal([1000L, 101L, 102L], seen.Select(s => s.Event.Value));
            Assert.Equal(2, cursor.Aborted);
            Assert.Equal(5, partition.EndOffset);
            Assert.Equal(5, partition.LastStableOffset);
        }, iterations: 500, output);
    }

    /// <summary>
    /// A read-committed reader registers (earliest) while the writer, ungated until then, publishes plain events and a
    /// transaction that aborts, then one that commits, on a 4-slot ring. From wherever it starts, it gets every plain and
    /// committed event at or after its start, in order, and none of the aborted transaction's, whose offsets it counts.
    /// </summary>
    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void ReadCommittedReaderRegistersDuringAnOpenTransaction_GetsThePlainAndCommittedEventsFromItsStart(PublishMode mode)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, mode);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher publisher = Publisher(coordinator);
            bool done = false;

            // Offsets 0..6: 1000, 1001, 101, 102 (aborted), 1002, 201 (committed), 1003.
            Thread writer = Scenario.Start(() =>
            {
                Scenario.Publish(partition, 1000);
                Scenario.Publish(partition, 1001);
                publisher.Begin();
                PublishTo(publisher, topic, 101);
                PublishTo(publisher, topic, 102);
                publisher.Abort();
                Scenario.Publish(partition, 1002);
                publisher.Begin();
                PublishTo(publisher, topic, 201);
                publisher.Commit();
                Scenario.Publish(partition, 1003);
                Volatile.Write(ref done, true);
            });

            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            long start = cursor.Position;
            var seen = new List<(long Offset, Stamped Event)>();
            ReadCommittedUntilDone(cursor, new Recorder(seen), () => Volatile.Read(ref done));
            writer.Join();

            long[] values = [1000, 1001, 101, 102, 1002, 201, 1003];
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(
                Enumerable.Range(0, values.Length).Where(o => o >= start && values[o] / 100 != 1).Select(o => ((long)o, values[o])),
                seen.Select(s => (s.Offset, s.Event.Value)));
            Assert.Equal(Math.Max(0, 4 - Math.Max(start, 2)), cursor.Aborted);
            Assert.Equal(7, partition.LastStableOffset);
        }, iterations: 400, output, variant: mode.ToString());
    }

    /// <summary>
    /// A read-committed reader runs out of events at an open transaction's first offset and parks (a group member's idle
    /// loop); the transaction then commits or aborts, and nothing is published after it. Only the end of the transaction
    /// (<c>NotifyStableMoved</c>, against the reader's re-check of the last stable offset) can wake it: no lost wake-up.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadCommittedReaderParksOnAnOpenTransaction_TheTransactionEnds_NoLostWakeUp(bool commit)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher publisher = Publisher(coordinator);
            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            var parker = new Parker();
            partition.AddReaderParker(parker);

            Thread writer = Scenario.Start(() =>
            {
                Scenario.Publish(partition, 1000);
                publisher.Begin();
                PublishTo(publisher, topic, 101);
                PublishTo(publisher, topic, 102);
                if (commit)
                {
                    publisher.Commit();
                }
                else
                {
                    publisher.Abort();
                }
            });

            // The reader side of MemberWorker.ParkOnPartitions: announce, raise the wake flag, re-check, park.
            List<(long Offset, Stamped Event)> seen = Scenario.ReadParking(cursor, partition, parker, 3);

            writer.Join();
            Assert.Equal(commit ? new[] { 1000L, 101L, 102L } : new[] { 1000L }, seen.Select(s => s.Event.Value));
        }, iterations: 400, output, variant: commit ? "Commit" : "Abort");
    }
}
