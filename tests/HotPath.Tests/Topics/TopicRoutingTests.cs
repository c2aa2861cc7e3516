using System.Text;
using HotPath.Partitioning;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

public class TopicRoutingTests
{
    private static Topic<TestEvent> Create(Partitioner partitioner, int partitions = 3) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64, Partitioner = partitioner });

    [Fact]
    public void Publish_SameKey_GoesToSamePartitionWithConsecutiveOffsets()
    {
        using var topic = Create(Partitioner.XxHash3);

        var results = Enumerable.Range(0, 5).Select(i => topic.Publish("ORD12345", new TestEvent(i))).ToList();

        Assert.Single(results.Select(r => r.Partition).Distinct());
        Assert.Equal([0L, 1L, 2L, 3L, 4L], results.Select(r => r.Offset));
    }

    [Fact]
    public void Publish_KafkaPartitioner_LandsWhereKafkaWould()
    {
        using var topic = Create(Partitioner.Kafka, partitions: 7);

        foreach (string key in new[] { "21", "foobar", "ORD1", "ORD2", "a-little-bit-long-string" })
        {
            var result = topic.Publish(key, new TestEvent(1));
            Assert.Equal(KafkaPartitioner.PartitionForKey(Encoding.UTF8.GetBytes(key), 7), result.Partition);
        }
    }

    [Fact]
    public void Publish_SpanAndStringKey_AgreeForUtf8()
    {
        using var topic = Create(Partitioner.XxHash3, partitions: 5);

        Assert.Equal(topic.PartitionFor("ORD-é-1"), topic.PartitionFor(Encoding.UTF8.GetBytes("ORD-é-1")));
    }

    [Fact]
    public void Publish_Keyless_GoesRoundRobinOverPartitions()
    {
        using var topic = Create(Partitioner.XxHash3, partitions: 3);

        var partitions = Enumerable.Range(0, 9).Select(i => topic.Publish(new TestEvent(i)).Partition).ToList();

        Assert.All(Enumerable.Range(0, 3), p => Assert.Equal(3, partitions.Count(x => x == p)));
        for (int i = 1; i < partitions.Count; i++)
        {
            Assert.Equal((partitions[i - 1] + 1) % 3, partitions[i]);
        }
    }

    [Fact]
    public void Publish_KeylessAlternatingBetweenTwoTopics_EachTopicGoesRoundRobin()
    {
        using var a = Create(Partitioner.XxHash3, partitions: 2);
        using var b = Create(Partitioner.XxHash3, partitions: 2);

        var partitionsOfA = new List<int>();
        var partitionsOfB = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            partitionsOfA.Add(a.Publish(new TestEvent(i)).Partition);
            partitionsOfB.Add(b.Publish(new TestEvent(i)).Partition);
        }

        // Each topic has its own rotation: one thread's publishes to b do not advance a's.
        Assert.Equal(5, partitionsOfA.Count(p => p == 0));
        Assert.Equal(5, partitionsOfB.Count(p => p == 0));
        for (int i = 1; i < 10; i++)
        {
            Assert.NotEqual(partitionsOfA[i - 1], partitionsOfA[i]);
            Assert.NotEqual(partitionsOfB[i - 1], partitionsOfB[i]);
        }
    }

    [Fact]
    public void Indexer_PartitionOutOfRange_ThrowsWithTheRange()
    {
        using var topic = Create(Partitioner.XxHash3);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic.PublishTo(3, new TestEvent(1)));
        Assert.Contains("partition must be between 0 and 2 for topic 'orders', was 3", error.Message);
    }
}
