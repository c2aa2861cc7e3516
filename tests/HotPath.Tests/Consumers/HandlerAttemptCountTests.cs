using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// How a member counts the attempts at a failing event: per partition, from 1 again once the cursor moved past the
/// event (handled or stepped over) or the partition left the member; and what the handled counters count then.
/// </summary>
public class HandlerAttemptCountTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // The tests that seek back keep a reader at offset 0 (it never reads), so that the events stay in the retained window.
    private static Topic<TestEvent> CreateTopic(int partitions = 1) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    private static void Publish(Topic<TestEvent> topic, int count, int partition = 0)
    {
        for (int i = 0; i < count; i++)
        {
            topic.PublishTo(partition, new TestEvent(i));
        }
    }

    /// <summary>An event skipped after its attempts ran out, then sought back to, gets its full attempts again.</summary>
    [Fact]
    public void Seek_BackToAnEventSkippedAfterItsAttempts_CountsItsAttemptsFromOneAgain()
    {
        using var topic = CreateTopic();
        using var retains = topic.CreateReader(0);
        var errors = new ConcurrentQueue<HandlerError>();
        var skipped = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "skip-again",
            ErrorPolicy = new ErrorPolicy
            {
                MaxAttempts = 2,
                InitialBackoff = TimeSpan.Zero,
                AfterRetries = ErrorAction.Skip,
                OnError = errors.Enqueue,
                OnSkipped = skipped.Enqueue,
            },
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (_, _, offset) => offset == 3 };
        group.Join(handler.For("m"));
        Publish(topic, 4);
        Assert.True(SpinWait.SpinUntil(() => skipped.Count == 1 && group.GetCommittedOffset("orders", 0) == 4, Timeout));

        group.Seek("orders", 0, 3);

        Assert.True(SpinWait.SpinUntil(() => skipped.Count == 2, Timeout), $"errors so far: {string.Join(", ", errors.Select(e => e.Attempts))}");
        Assert.Equal([1, 2, 1, 2], errors.Select(e => e.Attempts));
        Assert.All(errors, e => Assert.Equal(3, e.Offset));
    }

    /// <summary>
    /// An event that failed, then succeeded on its retry, is a new failure when it fails again after a seek back to it:
    /// its attempts count from 1. The seek is requested during the successful retry, so the member applies it right
    /// after that batch, before any other pass over the partition.
    /// </summary>
    [Fact]
    public void Seek_BackToAnEventRightAfterItsRetrySucceeded_CountsANewFailureFromOne()
    {
        using var topic = CreateTopic();
        using var retains = topic.CreateReader(0);
        var errors = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "retry-again",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.Zero, OnError = errors.Enqueue },
        });
        GroupMember<TestEvent>? member = null;
        PendingSeek<TestEvent>? seekBack = null;
        int callsAt3 = 0;
        var handler = new ActionHandler((_, _, offset, _) =>
        {
            if (offset != 3)
            {
                return;
            }

            switch (Interlocked.Increment(ref callsAt3))
            {
                case 1:
                case 3:
                    throw new InvalidOperationException("handler failure at 3");
                case 2:
                    // The retry succeeds; meanwhile a seek back to this event arrives (applied after this batch).
                    MemberWorker<TestEvent> worker = Volatile.Read(ref member)!.Worker;
                    seekBack = worker.RequestSeek(worker.CoordinatorView[0], 3);
                    break;
            }
        });
        member = group.Join(handler);

        Publish(topic, 4);

        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref callsAt3) == 4, Timeout), $"calls at 3: {callsAt3}, errors: {errors.Count}");
        member.Worker.AwaitSeek(seekBack!, Timeout);
        Assert.Equal([1, 1], errors.Select(e => e.Attempts));
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 4, Timeout));
        Assert.Equal(MemberState.Running, member.State);
    }

    /// <summary>
    /// Eager rebalance while a member backs off before a retry: it gives the partition up and takes it back, and the
    /// failing event's attempts start from 1 again (the failure left with the partition), with no wait left over.
    /// </summary>
    [Fact]
    public void Join_EagerRebalanceWhileAMemberBacksOff_RetakenPartitionCountsAttemptsFromOne()
    {
        using var topic = CreateTopic();
        var errors = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "eager-retake",
            Assignor = new RangeAssignor(),
            Protocol = RebalanceProtocol.Eager,
            RebalanceTimeout = TimeSpan.FromSeconds(20),
            ErrorPolicy = new ErrorPolicy
            {
                MaxAttempts = 3,
                InitialBackoff = TimeSpan.FromMinutes(10),
                MaxBackoff = TimeSpan.FromMinutes(10),
                OnError = errors.Enqueue,
            },
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (_, _, offset) => offset == 0 };
        group.Join(handler.For("a"), memberId: "a");
        Publish(topic, 1);
        Assert.True(SpinWait.SpinUntil(() => errors.Count == 1, Timeout));

        // Range assigns the only partition to "a" again; eager revokes it from "a" first.
        group.Join(handler.For("b"), memberId: "b");

        Assert.Equal("a", group.GetOwner("orders", 0));
        Assert.True(SpinWait.SpinUntil(() => errors.Count == 2, Timeout), "the retaken partition's event is tried again at once");
        Assert.Equal([("a", 1), ("a", 1)], errors.Select(e => (e.MemberId, e.Attempts)));
    }

    /// <summary>
    /// A skipped event in a later batch: the member's and the group's handled counts take every event handed to the
    /// handler once (the skipped one too, it was handed over), whatever batch it fell in.
    /// </summary>
    [Fact]
    public void HandledCount_EventSkippedInsideALaterBatch_CountsEachEventHandedOverOnce()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "handled",
            MaxBatchSize = 4,
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 1, AfterRetries = ErrorAction.Skip },
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (_, _, offset) => offset == 6 };
        Publish(topic, 10);

        GroupMember<TestEvent> member = group.Join(handler.For("m"));

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 10, Timeout));
        Assert.Equal(9, handler.Deliveries.Count);
        Assert.Equal(10, member.HandledCount);
        PartitionStats stats = Assert.Single(group.GetStats());
        Assert.Equal(10, stats.Handled);
        Assert.Equal(1, stats.Skipped);
    }
}
