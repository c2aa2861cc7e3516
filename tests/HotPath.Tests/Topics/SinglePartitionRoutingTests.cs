using HotPath.Partitioning;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

/// <summary>
/// A one-partition topic with a built-in partitioner routes every key to partition 0 without hashing it: the same
/// partition the partitioner itself gives, the same errors for bad keys, and a user's partitioner is still asked.
/// </summary>
public class SinglePartitionRoutingTests
{
    public static TheoryData<string> BuiltIn => ["xxhash3", "kafka"];

    private static Partitioner Named(string name) => name == "kafka" ? Partitioner.Kafka : Partitioner.XxHash3;

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void PartitionFor_OnePartitionBuiltInPartitioner_IsWhatThePartitionerGives(string name)
    {
        Partitioner partitioner = Named(name);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "one", Capacity = 16, Partitioner = partitioner });
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            long key = random.NextInt64(long.MinValue, long.MaxValue);
            string text = $"ORD{key}";
            Assert.Equal(partitioner.PartitionFor(key, 1), topic.PartitionFor(key));
            Assert.Equal(partitioner.PartitionFor((int)key, 1), topic.PartitionFor((int)key));
            Assert.Equal(partitioner.PartitionFor(text, 1), topic.PartitionFor(text));
            Assert.Equal(partitioner.PartitionFor(new Guid((int)key, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1), topic.PartitionFor(new Guid((int)key, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
            Assert.Equal(partitioner.PartitionFor(BitConverter.GetBytes(key), 1), topic.PartitionFor(BitConverter.GetBytes(key)));
        }

        Assert.Equal(partitioner.PartitionFor(string.Empty, 1), topic.PartitionFor(string.Empty));
        Assert.Equal(partitioner.PartitionFor(ReadOnlySpan<byte>.Empty, 1), topic.PartitionFor(ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Publish_OnePartitionNullStringKey_StillThrowsNamingTheKey(string name)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "one", Capacity = 16, Partitioner = Named(name) });
        var error = Assert.Throws<ArgumentNullException>(() => topic.Publish((string)null!, new TestEvent(1)));
        Assert.Equal("key", error.ParamName);
        Assert.Equal(0, topic[0].EndOffset);
    }

    [Fact]
    public void PartitionFor_OnePartitionUserPartitioner_IsStillAsked()
    {
        var counting = new CountingPartitioner();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "one", Capacity = 16, Partitioner = counting });
        topic.Publish(42L, new TestEvent(1));
        topic.Publish("key", new TestEvent(2));
        Assert.Equal(2, counting.Calls);
    }

    private sealed class CountingPartitioner : Partitioner
    {
        public int Calls { get; private set; }

        public override string Name => "counting";

        public override int PartitionFor(ReadOnlySpan<byte> key, int partitionCount)
        {
            Calls++;
            return 0;
        }
    }
}
