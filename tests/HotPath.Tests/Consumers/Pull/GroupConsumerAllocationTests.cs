using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>The synchronous Consume path allocates nothing per event when events are available.</summary>
public sealed class GroupConsumerAllocationTests
{
    private const int Events = 1000;

    [Theory]
    [InlineData(CommitMode.AfterBatch)]
    [InlineData(CommitMode.Manual)]
    public void Consume_EventsAvailable_AllocatesNothingPerEvent(CommitMode mode)
    {
        using Topic<TestEvent> topic = PullTopic.Create(capacity: 2048);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = mode });
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c", prefetch: 2 * Events);
        PullHandoff<TestEvent> handoff = ((PullMemberWorker<TestEvent>)group.Members[0].Worker).Handoff;

        // Warm-up: every path once (take, commit, the wait on an empty buffer), JIT-compiled and tiered up.
        PullTopic.Publish(topic, 0, 64);
        PullTopic.Take(consumer, 64);
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(1)));
        consumer.Commit();
        PullTopic.Publish(topic, 0, 2 * Events, from: 64);
        PullTopic.WaitUntil(() => handoff.Free == 0, "the fetch thread's copies");

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            sum += consumer.Consume(TimeSpan.Zero)!.Value.Event.Value;
        }

        for (int i = 0; i < Events; i++)
        {
            sum += consumer.Consume(CancellationToken.None).Event.Value;
        }

        consumer.Commit();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(Enumerable.Range(64, 2 * Events).Sum(i => (long)i), sum);
    }
}
