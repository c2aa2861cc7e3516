using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>
/// Auto-commit (<see cref="CommitMode.AfterBatch"/>) of a pull consumer: a call commits what earlier calls returned,
/// never the event the latest call returned (its caller may still be handling it), and never forgets an earlier take.
/// </summary>
public sealed class GroupConsumerAutoCommitTests
{
    [Fact]
    public void Consume_FetchThreadStepsOverAGapAfterTheLastTake_TheTakeIsNotCommittedBeforeTheNextCall()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 1);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        ConsumeResult<TestEvent> taken = PullTopic.Take(consumer, 1)[0];
        Assert.Equal(0, taken.Offset);
        // Offset 1 becomes a gap (a claim abandoned): the fetch thread steps over it with no copy to hand out.
        using (EventClaim<TestEvent> claim = topic[0].Claim())
        {
        }

        PullTopic.WaitUntil(() => group.GetStats()[0].Gaps == 1, "the fetch thread stepped over the gap");
        // The caller is still handling offset 0 (no call since it was returned): nothing may be committed yet, or a
        // crash now would lose it.
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 0));

        Assert.Null(consumer.Consume(TimeSpan.Zero));
        // The next call commits what the earlier one returned, and the gap after it.
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
    }

    [Fact]
    public void Consume_TwoThreadsTakeFromTwoPartitionsWhileWaiting_BothTakesAreCommittedByTheNextCall()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        // Two calls wait on an empty consumer (their first step found nothing to commit and nothing to take).
        Task<ConsumeResult<TestEvent>?> first = Task.Run(() => consumer.Consume(PullTopic.Timeout));
        Task<ConsumeResult<TestEvent>?> second = Task.Run(() => consumer.Consume(PullTopic.Timeout));
        PullTopic.WaitUntil(() => consumer.ToString().Length > 0 && WaitingCalls(first, second) == 2, "both calls wait");
        Thread.Sleep(100);

        // One of them takes partition 0's event, then the other partition 1's: both takes happen while waiting.
        PullTopic.Publish(topic, 0, 1);
        PullTopic.WaitUntil(() => first.IsCompleted || second.IsCompleted, "a call took partition 0's event");
        PullTopic.Publish(topic, 1, 1);
        Assert.True(Task.WaitAll([first, second], PullTopic.Timeout), "both calls returned");
        Assert.Equal([0, 1], new[] { first.Result!.Value.Partition, second.Result!.Value.Partition }.Order());

        // Both calls returned before this one: it commits what each returned, on both partitions.
        Assert.Null(consumer.Consume(TimeSpan.Zero));
        Assert.Equal(1, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal(1, group.GetCommittedOffset(PullTopic.Name, 1));
    }

    private static int WaitingCalls(Task first, Task second) => (first.IsCompleted ? 0 : 1) + (second.IsCompleted ? 0 : 1);
}
