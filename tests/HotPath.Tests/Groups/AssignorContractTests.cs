using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>
/// The contract every <see cref="IPartitionAssignor"/> meets (Kafka's shared assignor test cases); each assignor's
/// test class derives from it, so every case runs for every implementation.
/// </summary>
public abstract class AssignorContractTests
{
    protected abstract IPartitionAssignor CreateAssignor();

    [Fact]
    public void Assign_OneConsumerNoTopic_EmptyAssignment()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub() };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions);

        Assert.Equal(new[] { "consumer" }, assignment.Keys);
        Assert.Empty(assignment["consumer"]);
    }

    [Fact]
    public void Assign_OneConsumerNonexistentTopic_EmptyAssignment()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions);

        Assert.Empty(assignment["consumer"]);
    }

    [Fact]
    public void Assign_TopicWithZeroPartitions_EmptyAssignment()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 0 }, subscriptions);

        Assert.Empty(assignment["consumer"]);
    }

    [Fact]
    public void Assign_OneConsumerOneTopic_GetsAllPartitions()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 3 }, subscriptions);

        Equal(PartitionList(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)), assignment, "consumer");
    }

    [Fact]
    public void Assign_OnlySubscribedTopics_OtherTopicIgnored()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["topic"] = 3, ["other"] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)), assignment, "consumer");
    }

    [Fact]
    public void Assign_OneConsumerMultipleTopics_GetsAllPartitions()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["topic1"] = 1, ["topic2"] = 2 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic1", "topic2") };

        var assignment = CreateAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("topic1", 0), Tp("topic2", 0), Tp("topic2", 1)), assignment, "consumer");
    }

    [Fact]
    public void Assign_TwoConsumersOneTopicOnePartition_OneGetsItOtherEmpty()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub("topic"), ["consumer2"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 1 }, subscriptions);

        Assert.Equal(2, assignment.Count);
        Assert.Equal(1, assignment.Values.Sum(p => p.Count));
        Valid(new Dictionary<string, int> { ["topic"] = 1 }, subscriptions, assignment);
    }

    [Fact]
    public void Assign_TwoConsumersOneTopicTwoPartitions_OneEach()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub("topic"), ["consumer2"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 2 }, subscriptions);

        Equal(PartitionList(Tp("topic", 0)), assignment, "consumer1");
        Equal(PartitionList(Tp("topic", 1)), assignment, "consumer2");
    }

    [Fact]
    public void Assign_MemberWithEmptySubscription_PresentWithEmptyList()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["a"] = Sub(), ["b"] = Sub("topic") };

        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 2 }, subscriptions);

        Assert.Empty(assignment["a"]);
        Equal(PartitionList(Tp("topic", 0), Tp("topic", 1)), assignment, "b");
    }

    [Fact]
    public void Assign_NoMembers_EmptyResult()
    {
        var assignment = CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = 2 }, new Dictionary<string, Subscription>());

        Assert.Empty(assignment);
    }

    [Fact]
    public void Assign_NullPartitionsPerTopic_ThrowsNamingParameter()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => CreateAssignor().Assign(null!, new Dictionary<string, Subscription>()));

        Assert.Equal("partitionsPerTopic", ex.ParamName);
    }

    [Fact]
    public void Assign_NullSubscriptions_ThrowsNamingParameter()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => CreateAssignor().Assign(new Dictionary<string, int>(), null!));

        Assert.Equal("subscriptions", ex.ParamName);
    }

    [Fact]
    public void Assign_NegativePartitionCount_ThrowsWithRuleAndValue()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub("topic") };

        var ex = Assert.Throws<ArgumentException>(() => CreateAssignor().Assign(new Dictionary<string, int> { ["topic"] = -1 }, subscriptions));

        Assert.Equal("partitionsPerTopic", ex.ParamName);
        Assert.Contains("negative", ex.Message, StringComparison.Ordinal);
        Assert.Contains("partitionsPerTopic[\"topic\"]=-1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_NullTopicList_ThrowsWithRuleAndValue()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = new Subscription(null!) };

        var ex = Assert.Throws<ArgumentException>(() => CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions));

        Assert.Equal("subscriptions", ex.ParamName);
        Assert.Contains("subscriptions[\"consumer\"].Topics=null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_NullSubscription_ThrowsWithRuleAndValue()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = null! };

        var ex = Assert.Throws<ArgumentException>(() => CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions));

        Assert.Equal("subscriptions", ex.ParamName);
        Assert.Contains("subscriptions[\"consumer\"]=null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_NullTopicName_ThrowsWithRuleAndValue()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = new Subscription(new string[] { null! }) };

        var ex = Assert.Throws<ArgumentException>(() => CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions));

        Assert.Equal("subscriptions", ex.ParamName);
        Assert.Contains("Topics[0]=null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_GenerationBelowMinusOne_ThrowsWithRuleAndValue()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = new Subscription(TopicList("topic"), null, -2) };

        var ex = Assert.Throws<ArgumentException>(() => CreateAssignor().Assign(new Dictionary<string, int>(), subscriptions));

        Assert.Equal("subscriptions", ex.ParamName);
        Assert.Contains("Generation=-2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_InputsUnchanged_ResultIsNewDictionary()
    {
        var owned = new List<TopicPartition> { Tp("topic", 0) };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = new Subscription(TopicList("topic"), owned, 1) };
        var partitionsPerTopic = new Dictionary<string, int> { ["topic"] = 2 };

        var assignment = CreateAssignor().Assign(partitionsPerTopic, subscriptions);

        Assert.Single(owned);
        Assert.Single(partitionsPerTopic);
        Assert.Equal(2, assignment["consumer"].Count);
    }
}
