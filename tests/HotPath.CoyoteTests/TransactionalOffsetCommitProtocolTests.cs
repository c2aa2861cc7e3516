using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;
using static HotPath.CoyoteTests.TransactionScenario;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic test of KIP-447: a transaction that carries its cursor's offset commits while the group fences that cursor
/// (<c>ReadCursor.Fork</c>, against the commit's <c>ReadCursor.ForkLock</c>); the outputs and the offset commit together
/// or neither does.
/// </summary>
/// <remarks>Set-up and event values: see <see cref="TransactionScenario"/>.</remarks>
public sealed class TransactionalOffsetCommitProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// KIP-447: the member's transaction carries its cursor's offset (its outputs to another topic, and the input offset 2)
    /// while the group forks the cursor (the fence of a member declared failed). Atomic whatever the interleaving: either
    /// the commit returned, the replacement cursor starts at 2 and a read-committed reader of the outputs gets both; or the
    /// commit threw <see cref="TransactionAbortedException"/>, the replacement starts at 0 and the outputs are aborted. Never
    /// outputs committed with the offset lost, nor the offset committed with the outputs aborted.
    /// </summary>
    [Fact]
    public void Commit_CarriesTheCursorsOffsetWhileTheGroupForksIt_OutputsAndOffsetCommitTogetherOrNeither()
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> input = Scenario.Topic(capacity: 4, PublishMode.SingleWriter);
            using Topic<Stamped> outputs = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            using TransactionalPublisher publisher = Publisher(coordinator);
            Scenario.Publish(input[0], 1000);
            Scenario.Publish(input[0], 1001);
            ReadCursor<Stamped> cursor = ReadCommitted(input[0]);
            var handled = new Recorder([]);
            Assert.Equal(2, cursor.Dispatch(ref handled, 4));

            // The coordinator's fence (GroupPartition.Fence), anywhere from the transaction's start to after its commit.
            ReadCursor<Stamped>? replacement = null;
            Thread fence = Scenario.Start(() => replacement = cursor.Fork());

            // The member: consume-transform-produce (TransactionalMemberWorker.Dispatch, on the cursor's reading thread).
            bool committed;
            Exception? refusal = null;
            publisher.Begin();
            foreach ((_, Stamped @event) in handled.Seen)
            {
                PublishTo(publisher, outputs, @event.Value - 800);
            }

            publisher.AddOffset(cursor, AlwaysOwned.Instance, owner: cursor, cursor.Position);
            try
            {
                publisher.Commit();
                committed = true;
            }
            catch (TransactionAbortedException ex)
            {
                committed = false;
                refusal = ex;
            }

            fence.Join();

            ReadCursor<Stamped> outputCursor = ReadCommitted(outputs[0]);
            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen);
            while (outputCursor.Dispatch(ref recorder, 4) != 0)
            {
            }

            Assert.True(outputCursor.Position == outputs[0].EndOffset, "the outputs' last stable offset was left behind");
            Assert.True(committed == (replacement!.Committed == 2),
                $"commit {(committed ? "returned" : $"threw ({refusal?.Message})")} but the replacement cursor starts at {replacement.Committed}");
            Assert.Equal(committed ? new[] { 200L, 201L } : [], seen.Select(s => s.Event.Value));
            Assert.Equal(committed ? 0 : 2, outputCursor.Aborted);
            Assert.Equal(replacement.Committed, input[0].MinGatingSequence());
        }, iterations: 500, output);
    }

    /// <summary>
    /// A partition that its member never gives up: the commit's ownership check passes, so the fence (<c>Fork</c>) is what
    /// the commit races. (A release in good order, <c>GroupPartition.ReleaseOwnership</c>, needs a group member.)
    /// </summary>
    private sealed class AlwaysOwned : IOwnedPartition
    {
        public static readonly AlwaysOwned Instance = new();

        public bool IsOwnedBy(object member) => true;
    }
}
