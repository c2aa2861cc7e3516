using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>A constructor that throws leaves nothing behind: no cursor gates a writer, no group id stays taken.</summary>
public class GroupConstructionTests
{
    private static Topic<TestEvent> CreateTopic(string name, int capacity = 8) =>
        new(new TopicOptions { Name = name, PartitionCount = 1, Capacity = capacity });

    private static void AssertUngated(Topic<TestEvent> topic)
    {
        // No reader: the ring takes more events than it has slots without blocking.
        for (int i = 0; i <= topic.Capacity; i++)
        {
            Assert.True(topic.TryPublishTo(0, new TestEvent(i), out _), $"publish {i} of {topic.Capacity + 1} was refused: a reader still gates the writer");
        }
    }

    [Fact]
    public void Constructor_SameTopicTwice_ThrowsAndLeavesNoReaderGatingTheWriter()
    {
        using var topic = CreateTopic("orders");

        var ex = Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>([topic, topic], new ConsumerGroupOptions { GroupId = "g" }));

        Assert.Equal("topics", ex.ParamName);
        AssertUngated(topic);
    }

    [Fact]
    public void Constructor_SecondTopicNull_ThrowsArgumentNullAndLeavesFirstTopicUngated()
    {
        using var topic = CreateTopic("orders");

        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>([topic, null!], new ConsumerGroupOptions { GroupId = "g" }));

        Assert.Equal("topics", ex.ParamName);
        AssertUngated(topic);
    }

    [Fact]
    public void Constructor_GroupIdTakenOnSecondTopic_ThrowsAndReleasesFirstTopic()
    {
        using var orders = CreateTopic("orders");
        using var payments = CreateTopic("payments");
        using var existing = new ConsumerGroup<TestEvent>(payments, new ConsumerGroupOptions { GroupId = "billing" });

        Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>([orders, payments], new ConsumerGroupOptions { GroupId = "billing" }));

        AssertUngated(orders);
        // The id is free again on the first topic.
        using var again = new ConsumerGroup<TestEvent>(orders, new ConsumerGroupOptions { GroupId = "billing" });
    }

    /// <summary>
    /// A disposed topic is a complete topic whose retained events stay readable (Dispose only releases waiting writers):
    /// a group created over it registers, its member handles what was published, and the group completes.
    /// </summary>
    [Fact]
    public void Constructor_DisposedTopic_RegistersAndDrainsWhatWasPublished()
    {
        var topic = CreateTopic("disposed-orders");
        topic.PublishTo(0, new TestEvent(1));
        topic.PublishTo(0, new TestEvent(2));
        topic.Dispose();

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g" });
        var handler = new ActionHandler((_, _, _, _) => { });
        group.Join(handler);

        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(10)), $"Completion is {group.Completion.Status}");
        Assert.Equal(2, handler.Calls);
        Assert.Equal(2, group.GetCommittedOffset("disposed-orders", 0));
    }
}
