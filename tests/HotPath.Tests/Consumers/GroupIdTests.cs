using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>One group id on one topic is one group: a second group object with that id is refused, not a silent fan-out.</summary>
public class GroupIdTests
{
    private static Topic<TestEvent> CreateTopic(string name = "orders") =>
        new(new TopicOptions { Name = name, PartitionCount = 2, Capacity = 64 });

    [Fact]
    public void Constructor_GroupIdAlreadyReadingTopic_ThrowsNamingGroupIdRuleValueAndTopic()
    {
        using var topic = CreateTopic();
        using var first = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });

        var ex = Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }));

        Assert.Equal("GroupId", ex.ParamName);
        Assert.Contains("options.GroupId", ex.Message);
        Assert.Contains("unique", ex.Message);
        Assert.Contains("'billing'", ex.Message);
        Assert.Contains("'orders'", ex.Message);
    }

    [Fact]
    public void Constructor_GroupIdOfLossyGroup_AlsoRefused()
    {
        using var topic = CreateTopic();
        using var first = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing", Lossy = true });

        Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }));
    }

    [Fact]
    public void Constructor_GroupIdOfDisposedGroup_Succeeds()
    {
        using var topic = CreateTopic();
        var first = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        first.Dispose();

        using var second = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });

        Assert.Equal("billing", second.GroupId);
    }

    [Fact]
    public void Constructor_SameGroupIdOnOtherTopic_Succeeds()
    {
        using var orders = CreateTopic("orders");
        using var payments = CreateTopic("payments");
        using var first = new ConsumerGroup<TestEvent>(orders, new ConsumerGroupOptions { GroupId = "billing" });

        using var second = new ConsumerGroup<TestEvent>(payments, new ConsumerGroupOptions { GroupId = "billing" });

        Assert.Equal(2, second.Partitions.Count);
    }

    [Fact]
    public void Constructor_OtherGroupIdOnSameTopic_SucceedsAndBothGetEveryEvent()
    {
        using var topic = CreateTopic();
        using var billing = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });

        using var audit = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "audit" });

        Assert.Equal(0, billing.GetCommittedOffset("orders", 0));
        Assert.Equal(0, audit.GetCommittedOffset("orders", 0));
    }
}
