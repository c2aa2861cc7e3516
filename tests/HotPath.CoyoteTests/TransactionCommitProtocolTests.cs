using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;
using static HotPath.CoyoteTests.TransactionScenario;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests of the owner's commit against the coordinator's abort (<c>TransactionalPublisher.AbortFromOutside</c>,
/// a time-out or a fence): exactly one of them ends the transaction, and a time-out that read the state word before the
/// commit never aborts the next transaction.
/// </summary>
/// <remarks>Set-up and event values: see <see cref="TransactionScenario"/>.</remarks>
public sealed class TransactionCommitProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// The coordinator aborts (a time-out; with <paramref name="fence"/>, a fence) while the owner commits: exactly one of
    /// them ends the transaction. Either the commit returns, and the events reach the read-committed reader; or it throws,
    /// and they never do. A fence that loses to the commit still fences the publisher.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AbortFromOutside_RacesTheCommit_EitherTheCommitReturnsAndItsEventsAreVisibleOrNoneIs(bool fence)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher publisher = Publisher(coordinator);
            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            Scenario.Publish(partition, 1000);
            publisher.Begin();
            PublishTo(publisher, topic, 101);
            PublishByClaim(publisher, topic, 102);
            bool committed = false;
            bool ended = false;
            bool done = false;
            Exception? refusal = null;

            Thread owner = Scenario.Start(() =>
            {
                try
                {
                    publisher.Commit();
                    committed = true;
                }
                catch (TransactionException ex)
                {
                    refusal = ex;
                }

                Scenario.Publish(partition, 1001);
                Volatile.Write(ref done, true);
            });

            Thread outside = Scenario.Start(() => ended = publisher.AbortFromOutside("the transaction timed out", fence));

            var seen = new List<(long Offset, Stamped Event)>();
            ReadCommittedUntilDone(cursor, new Recorder(seen), () => Volatile.Read(ref done));
            owner.Join();
            outside.Join();

            Scenario.AssertIntactAndOrdered(seen);
            Assert.True(committed || ended, $"the commit failed ({refusal}) but the coordinator did not end the transaction");
            Assert.Equal(committed ? new[] { 1000L, 101L, 102L, 1001L } : new[] { 1000L, 1001L }, seen.Select(s => s.Event.Value));
            Assert.Equal(committed ? 0 : 2, cursor.Aborted);
            Assert.Equal(
                fence ? TransactionState.Fenced : committed ? TransactionState.Ready : TransactionState.Aborted,
                publisher.State);
            Assert.Equal(partition.EndOffset, partition.LastStableOffset);
        }, iterations: 300, output, variant: fence ? "Fence" : "TimeOut");
    }

    /// <summary>
    /// The coordinator's time-out check (<c>AbortExpired</c>) read the state word of an open transaction and aborts with
    /// that word expected, while the owner commits that transaction and begins, publishes and commits the next one. The
    /// sequence number in the word keeps the late abort off the next transaction: it ends either the first transaction
    /// (whose commit then throws) or nothing, and the next one always commits.
    /// </summary>
    [Fact]
    public void AbortFromOutside_TimeOutReadBeforeTheCommit_NeverAbortsTheNextTransaction()
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];
            using TransactionalPublisher publisher = Publisher(coordinator);
            ReadCursor<Stamped> cursor = ReadCommitted(partition);
            publisher.Begin();
            PublishTo(publisher, topic, 101);
            long word = publisher.StateWord;
            bool aborted = false;
            bool timerReturned = false;
            bool done = false;
            Exception? first = null;
            Exception? next = null;

            Thread owner = Scenario.Start(() =>
            {
                first = Record.Exception(() => publisher.Commit());
                if (first is not null)
                {
                    // The time-out won: acknowledge once its abort returned.
                    while (!Volatile.Read(ref timerReturned))
                    {
                        Thread.Yield();
                    }

                    publisher.Abort();
                }

                next = Record.Exception(() =>
                {
                    publisher.Begin();
                    PublishTo(publisher, topic, 201);
                    publisher.Commit();
                });
                Volatile.Write(ref done, true);
            });

            Thread timer = Scenario.Start(() =>
            {
                aborted = publisher.AbortFromOutside("the transaction timed out", fence: false, expectedWord: word);
                Volatile.Write(ref timerReturned, true);
            });

            var seen = new List<(long Offset, Stamped Event)>();
            ReadCommittedUntilDone(cursor, new Recorder(seen), () => Volatile.Read(ref done));
            owner.Join();
            timer.Join();

            Assert.True(next is null, $"the next transaction failed: {next}");
            Assert.True(aborted == (first is not null),
                $"the time-out {(aborted ? "aborted" : "did not abort")} the transaction, and its commit threw {first?.GetType().Name ?? "nothing"}");
            Assert.Equal(aborted ? new[] { 201L } : new[] { 101L, 201L }, seen.Select(s => s.Event.Value));
            Assert.Equal(partition.EndOffset, partition.LastStableOffset);
        }, iterations: 300, output);
    }
}
