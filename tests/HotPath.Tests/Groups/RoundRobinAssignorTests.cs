using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>Kafka's RoundRobinAssignorTest cases and the javadoc examples, plus the shared contract.</summary>
public sealed class RoundRobinAssignorTests : AssignorContractTests
{
    private const string Topic1 = "topic1";
    private const string Topic2 = "topic2";

    protected override IPartitionAssignor CreateAssignor() => new RoundRobinAssignor();

    [Fact]
    public void Name_IsKafkaProtocolName() => Assert.Equal("roundrobin", new RoundRobinAssignor().Name);

    [Fact]
    public void Assign_JavadocIdenticalSubscriptions_Alternates()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["C0"] = Sub("t0", "t1"), ["C1"] = Sub("t0", "t1") };

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("t0", 0), Tp("t0", 2), Tp("t1", 1)), assignment, "C0");
        Equal(PartitionList(Tp("t0", 1), Tp("t1", 0), Tp("t1", 2)), assignment, "C1");
    }

    [Fact]
    public void Assign_JavadocDifferentSubscriptions_SkipsUnsubscribedAndIsUnbalanced()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["t0"] = 1, ["t1"] = 2, ["t2"] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["C0"] = Sub("t0"),
            ["C1"] = Sub("t0", "t1"),
            ["C2"] = Sub("t0", "t1", "t2"),
        };

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("t0", 0)), assignment, "C0");
        Equal(PartitionList(Tp("t1", 0)), assignment, "C1");
        Equal(PartitionList(Tp("t1", 1), Tp("t2", 0), Tp("t2", 1), Tp("t2", 2)), assignment, "C2");
    }

    [Fact]
    public void Assign_TwoConsumersOneTopicOnePartition_FirstConsumerGetsIt()
    {
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub("topic"), ["consumer2"] = Sub("topic") };

        var assignment = new RoundRobinAssignor().Assign(new Dictionary<string, int> { ["topic"] = 1 }, subscriptions);

        Equal(PartitionList(Tp("topic", 0)), assignment, "consumer1");
        Assert.Empty(assignment["consumer2"]);
    }

    [Fact]
    public void Assign_MultipleConsumersMixedTopics_SkipsUnsubscribed()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["consumer1"] = Sub(Topic1),
            ["consumer2"] = Sub(Topic1, Topic2),
            ["consumer3"] = Sub(Topic1),
        };

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0)), assignment, "consumer1");
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 1)), assignment, "consumer2");
        Equal(PartitionList(Tp(Topic1, 2)), assignment, "consumer3");
    }

    [Fact]
    public void Assign_TwoConsumersTwoTopicsSixPartitions_Alternates()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer1"] = Sub(Topic1, Topic2), ["consumer2"] = Sub(Topic1, Topic2) };

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2), Tp(Topic2, 1)), assignment, "consumer1");
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, "consumer2");
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

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2), Tp(Topic2, 1)), assignment, "consumer-b");
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, "consumer-a");
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

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2), Tp(Topic2, 1)), assignment, "consumer-b");
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, "consumer-a");
    }

    [Fact]
    public void Assign_StaticMembersWithNewMemberIds_AssignmentPersistent()
    {
        // Kafka's testStaticMemberRoundRobinAssignmentPersistent: static members keep their partitions whatever their
        // member ids; the dynamic member, sorted last, takes the rest.
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 5, [Topic2] = 4 };
        var expectedByInstance = new Dictionary<string, List<TopicPartition>>
        {
            ["instance-0"] = PartitionList(Tp(Topic1, 0), Tp(Topic1, 4), Tp(Topic2, 3)),
            ["instance-1"] = PartitionList(Tp(Topic1, 1), Tp(Topic2, 0)),
            ["instance-2"] = PartitionList(Tp(Topic1, 2), Tp(Topic2, 1)),
        };
        var expectedDynamic = PartitionList(Tp(Topic1, 3), Tp(Topic2, 2));

        foreach (string dynamicMember in new[] { "consumer4", "consumer5", "0-dynamic" })
        {
            var subscriptions = new Dictionary<string, Subscription> { [dynamicMember] = Sub(Topic1, Topic2) };
            var memberByInstance = new Dictionary<string, string>();
            foreach (string instance in new[] { "instance-1", "instance-2", "instance-0" })
            {
                string memberId = Guid.NewGuid().ToString();
                memberByInstance[instance] = memberId;
                subscriptions[memberId] = new Subscription(TopicList(Topic1, Topic2), GroupInstanceId: instance);
            }

            var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

            foreach ((string instance, List<TopicPartition> expected) in expectedByInstance)
            {
                Equal(expected, assignment, memberByInstance[instance]);
            }

            Equal(expectedDynamic, assignment, dynamicMember);
        }
    }

    [Fact]
    public void Assign_TopicsSortedOrdinally_NotByInsertion()
    {
        var partitionsPerTopic = new Dictionary<string, int> { ["b"] = 1, ["a"] = 1, ["B"] = 1 };
        var subscriptions = new Dictionary<string, Subscription> { ["c1"] = Sub("b", "a", "B"), ["c2"] = Sub("a", "b", "B") };

        var assignment = new RoundRobinAssignor().Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp("B", 0), Tp("b", 0)), assignment, "c1");
        Equal(PartitionList(Tp("a", 0)), assignment, "c2");
    }
}
