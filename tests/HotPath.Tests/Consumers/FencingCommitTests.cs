using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Fencing against commits, with deterministic schedules (test hooks park the member between its checks and its
/// commit): after a fence, nothing the fenced member does moves any committed offset.
/// </summary>
public class FencingCommitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int capacity = 64) =>
        new(new TopicOptions { Name = "orders", Capacity = capacity, PublishMode = PublishMode.SingleWriter });

    [Fact]
    public void Commit_ManualByFencedMemberWhileNewOwnerMidBatch_CommittedOffsetDoesNotMove()
    {
        using var topic = CreateTopic();
        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        using var oldAtCommit = new ManualResetEventSlim();
        using var releaseOld = new ManualResetEventSlim();
        using var oldCommitDone = new ManualResetEventSlim();
        Exception? oldCommitError = null;
        group.TestBeforeManualCommit = () =>
        {
            oldAtCommit.Set();
            releaseOld.Wait();
        };
        var old = group.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset != 9)
            {
                return;
            }

            try
            {
                group.Commit("orders", 0, 10);
            }
            catch (Exception ex)
            {
                oldCommitError = ex;
            }
            finally
            {
                oldCommitDone.Set();
            }
        }), "old");

        Assert.True(oldAtCommit.Wait(Timeout));
        group.TestFence(old);

        using var newEntered = new ManualResetEventSlim();
        using var newGate = new ManualResetEventSlim();
        group.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 0)
            {
                newEntered.Set();
                newGate.Wait();
            }
        }), "new");
        Assert.True(newEntered.Wait(Timeout));

        releaseOld.Set();
        Assert.True(oldCommitDone.Wait(Timeout));
        long committed = group.GetCommittedOffset("orders", 0);
        newGate.Set();

        Assert.Equal(0, committed);
        Assert.IsType<InvalidOperationException>(oldCommitError);
    }

    [Fact]
    public void Commit_AfterBatchByMemberFencedAfterItsCheck_MovesNoSequenceTheWriterCanRead()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g" });
        using var atCommit = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var member = group.Join(new ActionHandler((_, _, _, _) => { }), "old");
        int hits = 0;
        member.Worker.TestBeforeAutoCommit = () =>
        {
            if (Interlocked.Increment(ref hits) == 1)
            {
                atCommit.Set();
                release.Wait();
            }
        };

        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(atCommit.Wait(Timeout));
        var fencedCursor = group.TestCursor("orders", 0);
        long committedAtFence = group.GetCommittedOffset("orders", 0);
        group.TestFence(member);
        release.Set();
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout));

        // A writer that read the gating sequences before the fence may still read the fenced cursor's sequence.
        Assert.True(fencedCursor.Committed <= committedAtFence, $"fenced sequence moved to {fencedCursor.Committed} after the fence at {committedAtFence}");
        Assert.Equal(committedAtFence, group.GetCommittedOffset("orders", 0));
    }

    [Fact]
    public void GetStats_LossyMemberFenced_LostCountCarriesOverToReplacementCursor()
    {
        using var topic = CreateTopic(capacity: 8);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "monitor", Lossy = true });
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var member = group.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 0)
            {
                entered.Set();
                gate.Wait();
            }
        }));
        topic.PublishTo(0, new TestEvent(0));
        Assert.True(entered.Wait(Timeout));
        for (int i = 1; i < 100; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        gate.Set();
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 100, Timeout));
        long lostBefore = group.GetStats()[0].Lost;
        Assert.True(lostBefore > 0);

        group.TestFence(member);
        Assert.Equal(lostBefore, group.GetStats()[0].Lost);

        group.Join(new ActionHandler((_, _, _, _) => { }));
        for (int i = 100; i < 110; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 110, Timeout));
        var stats = group.GetStats()[0];
        Assert.Equal(110, stats.Handled + stats.Lost);
    }
}
