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
            using var race = new AbortRace(coordinator, capacity: 4, PublishMode.MultiWriter);
            Topic<Stamped> topic = race.Topic;
            Partition<Stamped> partition = race.Partition;
            using TransactionalPublisher publisher = race.Publisher;
            Scenario.Publish(partition, 1000);
            publisher.Begin();
            PublishTo(publisher, topic, 101);
            PublishByClaim(publisher, topic, 102);
            bool committed = false;
            Exception? refusal = null;
            var seen = new List<(long Offset, Stamped Event)>();

            // The owner commits while the coordinator aborts.
            bool ended = race.Run(
                () =>
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
                },
                new Recorder(seen),
                fence);

            Scenario.AssertIntactAndOrdered(seen);
            Assert.True(committed || ended, $"the commit failed ({refusal}) but the coordinator did not end the transaction");
            Assert.Equal(committed ? new[] { 1000L, 101L, 102L, 1001L } : new[] { 1000L, 1001L }, seen.Select(s => s.Event.Value));
            Assert.Equal(committed ? 0 : 2, race.Cursor.Aborted);
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
            using var race = new AbortRace(coordinator, capacity: 4, PublishMode.MultiWriter);
            Topic<Stamped> topic = race.Topic;
            Partition<Stamped> partition = race.Partition;
            using TransactionalPublisher publisher = race.Publisher;
            publisher.Begin();
            PublishTo(publisher, topic, 101);
            long word = publisher.StateWord;
            Exception? first = null;
            Exception? next = null;
            var seen = new List<(long Offset, Stamped Event)>();

            // The owner; the abort is the time-out check that read the state word before the commit.
            bool aborted = race.Run(
                () =>
                {
                    first = Record.Exception(() => publisher.Commit());
                    if (first is not null)
                    {
                        // The time-out won: acknowledge once its abort returned.
                        race.AwaitTheAbort();
                        publisher.Abort();
                    }

                    next = Record.Exception(() =>
                    {
                        publisher.Begin();
                        PublishTo(publisher, topic, 201);
                        publisher.Commit();
                    });
                },
                new Recorder(seen),
                fence: false,
                expectedWord: word,
                ownerAwaitsTheAbort: true);

            Assert.True(next is null, $"the next transaction failed: {next}");
            Assert.True(aborted == (first is not null),
                $"the time-out {(aborted ? "aborted" : "did not abort")} the transaction, and its commit threw {first?.GetType().Name ?? "nothing"}");
            Assert.Equal(aborted ? new[] { 201L } : new[] { 101L, 201L }, seen.Select(s => s.Event.Value));
            Assert.Equal(partition.EndOffset, partition.LastStableOffset);
        }, iterations: 300, output);
    }
}
