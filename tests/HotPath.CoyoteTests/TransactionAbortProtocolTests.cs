using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;
using static HotPath.CoyoteTests.TransactionScenario;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests of the coordinator's abort (<c>TransactionalPublisher.AbortFromOutside</c>: a time-out or a fence)
/// against the owner's publishes (the asymmetric Dekker of <see cref="TransactionalPublisher"/>) and against its other
/// calls during the abort window (publish, commit, a member's commit, abort, dispose).
/// </summary>
/// <remarks>Set-up and event values: see <see cref="TransactionScenario"/>.</remarks>
public sealed class TransactionAbortProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// The coordinator aborts the open transaction (a time-out, or with <paramref name="fence"/> a newer epoch or a failed
    /// member) while the owner gives up a first claim and publishes by event, by claim (extending the recorded range) and
    /// by batch. Whatever the interleaving: no event of the transaction reaches a read-committed reader, the partition's
    /// last stable offset is not left behind (also when the fenced owner just disposes its publisher), and once the abort
    /// has returned the owner's next publish and its commit throw <see cref="TransactionAbortedException"/> (then
    /// <see cref="TransactionalPublisher.Abort"/> acknowledges, and the next transaction commits) or
    /// <see cref="ProducerFencedException"/>.
    /// </summary>
    [Theory]
    [InlineData(PublishMode.SingleWriter, false)]
    [InlineData(PublishMode.SingleWriter, true)]
    [InlineData(PublishMode.MultiWriter, false)]
    [InlineData(PublishMode.MultiWriter, true)]
    public void AbortFromOutside_RacesTheOwnersPublishes_NoEventOfTheTransactionIsHandedOutAndTheStableOffsetMoves(PublishMode mode, bool fence)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            // 8 slots: the transaction spans 6 offsets from its first claim (an abandoned one counts), within one ring.
            using var race = new AbortRace(coordinator, capacity: 8, mode);
            Topic<Stamped> topic = race.Topic;
            Partition<Stamped> partition = race.Partition;
            TransactionalPublisher publisher = race.Publisher;
            Scenario.Publish(partition, 1000);
            publisher.Begin();
            Exception? later = null;
            Exception? commit = null;
            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen, (offset, @event) =>
                @event.Value / 100 == 1 ? $"offset {offset} of the aborted transaction was handed out: {@event}" : null);

            // The owner; its publishes may throw once the abort began (the type is checked by
            // AbortFromOutside_OwnerPublishesCommitsOrAbortsMeanwhile_EveryFailureSaysAbortedOrFenced).
            bool ended = race.Run(
                () =>
                {
                    try
                    {
                        AbandonClaim(publisher, topic, 100);
                        PublishTo(publisher, topic, 101);
                        PublishByClaim(publisher, topic, 102);
                        PublishBatch(publisher, topic, 103, 104);
                    }
                    catch (TransactionException)
                    {
                    }

                    race.AwaitTheAbort();
                    later = Record.Exception(() => PublishTo(publisher, topic, 105));
                    commit = Record.Exception(() => publisher.Commit());
                    if (fence)
                    {
                        publisher.Dispose();
                    }
                    else
                    {
                        publisher.Abort();
                        publisher.Begin();
                        PublishTo(publisher, topic, 201);
                        publisher.Commit();
                    }

                    Scenario.Publish(partition, 1001);
                },
                recorder,
                fence,
                ownerAwaitsTheAbort: true);
            publisher.Dispose();

            recorder.AssertNoViolations();
            Assert.True(ended, "the abort found no open transaction");
            Type expected = fence ? typeof(ProducerFencedException) : typeof(TransactionAbortedException);
            Assert.True(later?.GetType() == expected,
                $"the publish after the abort threw {later?.GetType().Name ?? "nothing"}, not {expected.Name}: {later}");
            Assert.True(commit?.GetType() == expected,
                $"the commit after the abort threw {commit?.GetType().Name ?? "nothing"}, not {expected.Name}: {commit}");
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(fence ? new[] { 1000L, 1001L } : new[] { 1000L, 201L, 1001L }, seen.Select(s => s.Event.Value));
            Assert.Equal(partition.EndOffset, seen.Count + race.Cursor.Aborted + race.Cursor.Gaps);
            Assert.Equal(partition.EndOffset, partition.LastStableOffset);
            Assert.Equal(0, partition.Transactions.OpenCount);
        }, iterations: 300, output, variant: $"{mode}.{(fence ? "Fence" : "TimeOut")}");
    }

    /// <summary>
    /// The owner publishes, commits (as an application, or as a transactional member does: <c>TryCommitCore</c>), aborts
    /// or disposes (<paramref name="operation"/>) and then, unless it disposed, calls <see cref="TransactionalPublisher.Abort"/>
    /// (its own abort; or the acknowledgement of the coordinator's; or, after its commit, nothing to do), while the
    /// coordinator aborts the transaction (a time-out; with <paramref name="fence"/>, a fence: a newer epoch, or a group's
    /// <c>OnStopping</c> while the member thread ends and disposes). A publish or commit that fails says why:
    /// <see cref="TransactionAbortedException"/> or <see cref="ProducerFencedException"/>; <c>Abort</c> succeeds, or throws
    /// <see cref="ProducerFencedException"/> once fenced; a member's commit returns false and <c>Dispose</c> returns, neither
    /// throws. Never a plain <see cref="TransactionException"/> that blames a second thread using the publisher: the
    /// owner's calls that read the state in the coordinator's Aborting window wait for its end (its completion lock). On
    /// the code before that wait, the publish, commit, abort and dispose cases failed within 6 to 37 schedules.
    /// </summary>
    [Theory]
    [InlineData("Publish", false)]
    [InlineData("Publish", true)]
    [InlineData("Commit", false)]
    [InlineData("Commit", true)]
    [InlineData("MemberCommit", false)]
    [InlineData("MemberCommit", true)]
    [InlineData("Abort", false)]
    [InlineData("Abort", true)]
    [InlineData("Dispose", false)]
    [InlineData("Dispose", true)]
    public void AbortFromOutside_OwnerPublishesCommitsOrAbortsMeanwhile_EveryFailureSaysAbortedOrFenced(string operation, bool fence)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            using TransactionalPublisher publisher = Publisher(coordinator);
            publisher.Begin();
            PublishTo(publisher, topic, 101);
            Exception? failure = null;
            Exception? ending = null;

            Thread owner = Scenario.Start(() =>
            {
                failure = Record.Exception(() =>
                {
                    switch (operation)
                    {
                        case "Publish":
                            PublishTo(publisher, topic, 102);
                            break;
                        case "Commit":
                            publisher.Commit();
                            break;
                        case "MemberCommit":
                            // A transactional member's commit (TransactionalMemberWorker): false when aborted, never a throw.
                            _ = publisher.TryCommitCore();
                            break;
                        case "Dispose":
                            publisher.Dispose();
                            break;
                    }
                });

                if (operation != "Dispose")
                {
                    // Its own abort; or the acknowledgement of the coordinator's; or, after its commit, nothing to do.
                    ending = Record.Exception(() => publisher.Abort());
                }
            });

            publisher.AbortFromOutside("the transaction timed out", fence);
            owner.Join();

            Type told = fence ? typeof(ProducerFencedException) : typeof(TransactionAbortedException);
            bool mayThrow = operation is "Publish" or "Commit";
            Assert.True(failure is null || (mayThrow && failure.GetType() == told),
                $"the owner's {operation} threw {failure?.GetType().Name}{(mayThrow ? $", not {told.Name}" : "")}: {failure?.Message}");
            Assert.True(ending is null || (fence && ending is ProducerFencedException),
                $"the owner's Abort threw {ending?.GetType().Name}: {ending?.Message}");
        }, iterations: 200, output, variant: $"{operation}.{(fence ? "Fence" : "TimeOut")}");
    }
}
