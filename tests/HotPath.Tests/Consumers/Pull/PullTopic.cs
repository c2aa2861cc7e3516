using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Sdk;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>Building blocks of the pull-consumer tests: a topic, a group, publishing and consuming with deadlines.</summary>
internal static class PullTopic
{
    public const string Name = "orders";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Topic<TestEvent> Create(int partitions = 1, int capacity = 64) =>
        new(new TopicOptions { Name = Name, PartitionCount = partitions, Capacity = capacity, PublishMode = PublishMode.MultiWriter });

    public static ConsumerGroupOptions Options(string groupId = "g") => new() { GroupId = groupId };

    /// <summary>Publishes values from..from+count-1 to one partition.</summary>
    public static void Publish(Topic<TestEvent> topic, int partition, int count, long from = 0)
    {
        for (long i = from; i < from + count; i++)
        {
            topic.PublishTo(partition, new TestEvent(i));
        }
    }

    /// <summary>Consumes exactly <paramref name="count"/> events (each call with a deadline), failing when one does not come in time.</summary>
    public static List<ConsumeResult<TestEvent>> Take(GroupConsumer<TestEvent> consumer, int count)
    {
        var taken = new List<ConsumeResult<TestEvent>>(count);
        while (taken.Count < count)
        {
            ConsumeResult<TestEvent>? next = consumer.Consume(Timeout);
            if (next is not { } result)
            {
                throw new XunitException($"event {taken.Count} of {count} did not come within {Timeout.TotalSeconds} s");
            }

            taken.Add(result);
        }

        return taken;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing after the time-out.</summary>
    public static void WaitUntil(Func<bool> condition, string what) => ModelSteps.WaitUntil(condition, what, Timeout);
}
