using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Sdk;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Shared steps of the group edge-case properties: a topic of <see cref="TestEvent"/> whose values are the model
/// (partition p's k-th event has value k), bounded waits, and the exactly-once check of a handler's deliveries.
/// </summary>
internal static class GroupEdgeCase
{
    public const string TopicName = "edge";
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    public static Topic<TestEvent> CreateTopic(int partitions, int capacity = 64) =>
        new(new TopicOptions { Name = TopicName, PartitionCount = partitions, Capacity = capacity });

    /// <summary>Publishes values [from, to) to every partition.</summary>
    public static void Publish(Topic<TestEvent> topic, long from, long to)
    {
        for (long value = from; value < to; value++)
        {
            foreach (var partition in topic.Partitions)
            {
                var @event = new TestEvent(value);
                Assert.True(partition.TryPublish(in @event, WaitTimeout, out long offset), $"no room in partition {partition.Id} for {WaitTimeout}");
                Assert.Equal(value, offset);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails naming <paramref name="what"/> after the timeout or as soon as <paramref name="giveUp"/> says why not.</summary>
    public static void WaitUntil(Func<bool> condition, string what, Func<string?>? giveUp = null)
    {
        Stopwatch clock = Stopwatch.StartNew();
        while (!condition())
        {
            string? reason = giveUp?.Invoke();
            if (reason is not null)
            {
                throw new XunitException($"gave up waiting for {what}: {reason}");
            }

            if (clock.Elapsed > WaitTimeout)
            {
                throw new XunitException($"timed out after {WaitTimeout.TotalSeconds} s waiting for {what}");
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>The group committed every published event on every partition.</summary>
    public static bool Drained(ConsumerGroup<TestEvent> group, Topic<TestEvent> topic) =>
        topic.Partitions.All(p => group.GetLag(TopicName, p.Id) == 0);

    /// <summary>Each partition's deliveries are exactly offsets 0 .. count-1, once each, in order.</summary>
    public static void AssertExactlyOnce(ScriptedHandler handler, int partitions, long count, string context)
    {
        for (int p = 0; p < partitions; p++)
        {
            List<long> offsets = handler.Offsets(p);
            if (!offsets.SequenceEqual(Enumerable.Range(0, (int)count).Select(i => (long)i)))
            {
                throw new XunitException($"p{p}: handled [{string.Join(' ', offsets)}], the model expects 0..{count - 1} once each in order; {context}");
            }
        }
    }

    public static string Describe(ConsumerGroup<TestEvent> group) =>
        $"members [{string.Join(", ", group.Members)}]; {string.Join("; ", group.GetStats())}";
}
