using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>Kafka's RangeAssignorTest cases and the javadoc example, plus the shared contract.</summary>
public sealed class RangeAssignorTests : AssignorContractTests
{
    private const string Topic1 = "topic1";
    private const string Topic2 = "topic2";

    protected override IPartitionAssignor CreateAssignor() => new RangeAssignor();

    [Fact]
    public void Name_IsKafkaProtocolName() => Assert.Equal("range", new RangeAssignor().Name);

    [Fact]
    public void Assign_JavadocExample_FirstConsumerGetsExtraPerTopic()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["C0"] = Sub("t0", "t1"), ["C1"] = Sub("t0", "t1") };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("t0", 0), Tp("t0", 1), Tp("t1", 0), Tp("t1", 1)), assignment, "C0");
        Equal(PartitionList(Tp("t0", 2), Tp("t1", 2)), assignment, "C1");
    }

    [Fact]
    public void Assign_TwoConsumersOneTopicOnePartition_FirstConsumerGetsIt()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub("topic"), ["consumer2"] = Sub("topic") };

        var assignment = new RangeAssignor().Assign(new Dictionary<string, int> { ["topic"] = 1 }, subscriptions);

        Equal(PartitionList(Tp("topic", 0)), assignment, "consumer1");
        Assert.Empty(assignment["consumer2"]);
    }

    [Fact]
    public void Assign_MultipleConsumersMixedTopics_RangesPerTopic()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["consumer1"] = Sub(Topic1),
            ["consumer2"] = Sub(Topic1, Topic2),
            ["consumer3"] = Sub(Topic1),
        };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0)), assignment, "consumer1");
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 1)), assignment, "consumer2");
        Equal(PartitionList(Tp(Topic1, 2)), assignment, "consumer3");
    }

    [Fact]
    public void Assign_TwoConsumersTwoTopicsSixPartitions_FirstConsumerGetsExtra()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub(Topic1, Topic2), ["consumer2"] = Sub(Topic1, Topic2) };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 1)), assignment, "consumer1");
        Equal(PartitionList(Tp(Topic1, 2), Tp(Topic2, 2)), assignment, "consumer2");
    }

    [Fact]
    public void Assign_ConsumersInReverseInsertionOrder_SortedByMemberId()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer2"] = Sub(Topic1), ["consumer1"] = Sub(Topic1) };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 1)), assignment, "consumer1");
        Equal(PartitionList(Tp(Topic1, 2)), assignment, "consumer2");
    }

    [Fact]
    public void Assign_MemberIdsOrderedOrdinally_UppercaseBeforeLowercase()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["a"] = Sub("t"), ["B"] = Sub("t") };

        var assignment = new RangeAssignor().Assign(new Dictionary<string, int> { ["t"] = 3 }, subscriptions);

        Equal(PartitionList(Tp("t", 0), Tp("t", 1)), assignment, "B");
        Equal(PartitionList(Tp("t", 2)), assignment, "a");
    }

    [Fact]
    public void Assign_TwoStaticConsumers_OrderedByInstanceIdNotMemberId()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["consumer-b"] = new(TopicList(Topic1, Topic2), GroupInstanceId: "instance1"),
            ["consumer-a"] = new(TopicList(Topic1, Topic2), GroupInstanceId: "instance2"),
        };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 1)), assignment, "consumer-b");
        Equal(PartitionList(Tp(Topic1, 2), Tp(Topic2, 2)), assignment, "consumer-a");
    }

    [Fact]
    public void Assign_OneStaticOneDynamicConsumer_StaticFirst()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["consumer-b"] = new(TopicList(Topic1, Topic2), GroupInstanceId: "instance1"),
            ["consumer-a"] = Sub(Topic1, Topic2),
        };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 1)), assignment, "consumer-b");
        Equal(PartitionList(Tp(Topic1, 2), Tp(Topic2, 2)), assignment, "consumer-a");
    }

    [Fact]
    public void Assign_StaticMembersWithNewMemberIds_AssignmentPersistent()
    {
        // Kafka's testStaticMemberRangeAssignmentPersistent: three static members and one dynamic member; the static
        // members keep their partitions across generations whatever their (random) member ids, and a new dynamic
        // member takes the dynamic member's place.
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 5, [Topic2] = 4 };
        var expectedByInstance = new Dictionary<string, List<TopicPartition>>
        {
            ["instance-0"] = PartitionList(Tp(Topic1, 0), Tp(Topic1, 1), Tp(Topic2, 0)),
            ["instance-1"] = PartitionList(Tp(Topic1, 2), Tp(Topic2, 1)),
            ["instance-2"] = PartitionList(Tp(Topic1, 3), Tp(Topic2, 2)),
        };
        var expectedDynamic = PartitionList(Tp(Topic1, 4), Tp(Topic2, 3));

        foreach (string dynamicMember in new[] { "consumer4", "consumer5", "0-dynamic-sorts-first-by-id" })
        {
            var subscriptions = new Dictionary<string, Subscription> { [dynamicMember] = Sub(Topic1, Topic2) };
            var memberByInstance = new Dictionary<string, string>();
            foreach (string instance in new[] { "instance-2", "instance-0", "instance-1" })
            {
                string memberId = Guid.NewGuid().ToString();
                memberByInstance[instance] = memberId;
                subscriptions[memberId] = new Subscription(TopicList(Topic1, Topic2), GroupInstanceId: instance);
            }

            var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

            foreach ((string instance, List<TopicPartition> expected) in expectedByInstance)
            {
                Equal(expected, assignment, memberByInstance[instance]);
            }

            Equal(expectedDynamic, assignment, dynamicMember);
        }
    }

    [Fact]
    public void Assign_StaticMemberInstanceIdsOrderedOrdinally_NotByMemberId()
    {
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["m1"] = new(TopicList("t"), GroupInstanceId: "z"),
            ["m2"] = new(TopicList("t"), GroupInstanceId: "a"),
            ["m0"] = Sub("t"),
        };

        var assignment = new RangeAssignor().Assign(new Dictionary<string, int> { ["t"] = 3 }, subscriptions);

        Equal(PartitionList(Tp("t", 0)), assignment, "m2");
        Equal(PartitionList(Tp("t", 1)), assignment, "m1");
        Equal(PartitionList(Tp("t", 2)), assignment, "m0");
    }

    [Fact]
    public void Assign_ManyTopicsThreeConsumers_FirstConsumerCarriesExtraOfEveryTopic()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["a"] = 4, ["b"] = 4, ["c"] = 4 };
        var subscriptions = new Dictionary<string, Subscription> { ["c1"] = Sub("a", "b", "c"), ["c2"] = Sub("a", "b", "c"), ["c3"] = Sub("a", "b", "c") };

        var assignment = new RangeAssignor().Assign(partitionsPerTopic, subscriptions);

        Assert.Equal(6, assignment["c1"].Count);
        Assert.Equal(3, assignment["c2"].Count);
        Assert.Equal(3, assignment["c3"].Count);
    }
}
