using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A member backing off before a retry: it waits parked (idle, so the session watchdog keeps it), it answers control
/// requests meanwhile, and it keeps the retry time of every failing partition, not only the first one's.
/// </summary>
public class MemberBackoffTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongBackoff = TimeSpan.FromMinutes(10);

    private static Topic<TestEvent> CreateTopic(int partitions) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    private static ErrorPolicy LongRetry(ConcurrentQueue<HandlerError> errors) => new()
    {
        MaxAttempts = 2,
        InitialBackoff = LongBackoff,
        MaxBackoff = LongBackoff,
        OnError = errors.Enqueue,
    };

    /// <summary>
    /// A backoff much longer than the session time-out: the member waits it out parked, so the watchdog sees an idle
    /// member, not a stuck one, and it keeps its partition; the retry does not come early.
    /// </summary>
    [Fact]
    public void Retry_BackoffLongerThanSessionTimeout_MemberWaitsParkedAndKeepsItsPartition()
    {
        using var topic = CreateTopic(partitions: 1);
        var errors = new ConcurrentQueue<HandlerError>();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "parked-backoff",
            SessionTimeout = TimeSpan.FromMilliseconds(150),
            ErrorPolicy = LongRetry(errors),
            OnMemberFailed = failures.Enqueue,
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (_, _, _) => true };
        GroupMember<TestEvent> member = group.Join(handler.For("m"), memberId: "m");
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => errors.Count == 1, Timeout));
        Assert.True(SpinWait.SpinUntil(() => member.Worker.IsParked, TimeSpan.FromSeconds(5)), "the member parks for its backoff");

        // Several session time-outs: a member that looked stuck would be fenced within one.
        Thread.Sleep(TimeSpan.FromMilliseconds(800));

        Assert.Equal(MemberState.Running, member.State);
        Assert.Equal("m", group.GetOwner("orders", 0));
        Assert.Empty(failures);
        Assert.Single(errors);
    }

    /// <summary>
    /// A control request (a seek of another partition) during a backoff is answered at once; the member then waits the
    /// rest of the backoff before its next batch (its other partitions wait too), even when the failing partition is not
    /// its first one.
    /// </summary>
    [Fact]
    public void Seek_OtherPartitionWhileItsSecondPartitionBacksOff_AnsweredAndTheBackoffGoesOn()
    {
        using var topic = CreateTopic(partitions: 2);
        using var retains = topic.CreateReader(0); // keeps partition 0's events in the retained window for the seek
        var errors = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "second-backs-off",
            RebalanceTimeout = TimeSpan.FromSeconds(20),
            ErrorPolicy = LongRetry(errors),
        });
        var handler = new RecordingHandler(2) { ThrowWhen = (_, partition, _) => partition == 1 };
        GroupMember<TestEvent> member = group.Join(handler.For("m"));
        Assert.Equal([0, 1], member.Assignment.Select(p => p.Partition));
        topic.PublishTo(0, new TestEvent(10));
        Assert.True(handler.WaitForCount(1, Timeout));
        topic.PublishTo(1, new TestEvent(20));
        Assert.True(SpinWait.SpinUntil(() => errors.Count == 1, Timeout));

        // Answered during the 10-minute backoff (or this throws TimeoutException after RebalanceTimeout).
        group.Seek("orders", 0, 0);

        // No second attempt, and partition 0 is not read again, before the backoff ends.
        Thread.Sleep(TimeSpan.FromMilliseconds(300));
        Assert.Single(errors);
        Assert.Equal(MemberState.Running, member.State);
        Assert.Equal([(0, 0L)], handler.Deliveries.Select(d => (d.Partition, d.Offset)));
        Assert.Equal(0, group.GetCommittedOffset("orders", 0));
    }
}
