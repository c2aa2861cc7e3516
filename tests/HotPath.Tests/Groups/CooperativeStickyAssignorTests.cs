using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>
/// Kafka's AbstractStickyAssignorTest and CooperativeStickyAssignorTest cases, plus the shared contract. Where Kafka
/// checks the eager result after its cooperative follow-up rebalances, so does <see cref="SettleCooperative"/> here.
/// Cases about generations and doubly claimed partitions are in <see cref="StickyGenerationTests"/>; per-topic balance
/// and large groups in <see cref="StickyBalanceTests"/>.
/// </summary>
public sealed class CooperativeStickyAssignorTests : AssignorContractTests
{
    private const string Topic = "topic";
    private const string Topic1 = "topic1";
    private const string Topic2 = "topic2";
    private const string Consumer1 = "consumer1";
    private const string Consumer2 = "consumer2";
    private const string Consumer3 = "consumer3";
    private const string Consumer4 = "consumer4";
    private const int GenerationId = 1;

    private readonly CooperativeStickyAssignor _assignor = new();

    protected override IPartitionAssignor CreateAssignor() => new CooperativeStickyAssignor();

    [Fact]
    public void Name_IsKafkaProtocolName() => Assert.Equal("cooperative-sticky", _assignor.Name);

    [Fact]
    public void Assign_OwnedPartitionsOfOtherTopics_Dropped()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            ["consumer"] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1), Tp("other", 0), Tp("other", 1)), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic, 0), Tp(Topic, 1)), assignment, "consumer");
    }

    [Fact]
    public void Assign_MultipleConsumersMixedTopicSubscriptions_GeneralAssignment()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Sub(Topic1),
            [Consumer2] = Sub(Topic1, Topic2),
            [Consumer3] = Sub(Topic1),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic2, 0), Tp(Topic2, 1)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic1, 1)), assignment, Consumer3);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_TwoConsumersTwoTopicsSixPartitions_Alternates()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { [Consumer1] = Sub(Topic1, Topic2), [Consumer2] = Sub(Topic1, Topic2) };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2), Tp(Topic2, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, Consumer2);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_ConsumerOwningMinQuotaExpectedMaxQuota_KeepsOwnedAndGetsExtra()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 2, [Topic2] = 3 };
        var topics = TopicList(Topic1, Topic2);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic1, 0), Tp(Topic2, 1)), GenerationId),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic1, 1), Tp(Topic2, 2)), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic2, 1), Tp(Topic2, 0)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 2)), assignment, Consumer2);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_MaxQuotaOwnersMoreThanExpected_RevokedPartitionLeftOutThenHandedOver()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 2, [Topic2] = 2 };
        var topics = TopicList(Topic1, Topic2);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic1, 0), Tp(Topic2, 0)), GenerationId),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic1, 1), Tp(Topic2, 1)), GenerationId),
            [Consumer3] = Owned(topics, PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        // topic2-0 moves from consumer1 to consumer3: consumer1 revokes it first, so nobody gets it yet.
        Equal(PartitionList(Tp(Topic1, 0)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 1)), assignment, Consumer2);
        Assert.Empty(assignment[Consumer3]);

        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Equal(PartitionList(Tp(Topic1, 0)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 1)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic2, 0)), assignment, Consumer3);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_AllConsumersUnderMinQuota_OwnedKeptAndFilled()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 2, [Topic2] = 3 };
        var topics = TopicList(Topic1, Topic2);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic1, 0)), GenerationId),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic1, 1)), GenerationId),
            [Consumer3] = Owned(topics, PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic2, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 2)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic2, 0)), assignment, Consumer3);
    }

    [Fact]
    public void Assign_AddRemoveConsumerOneTopic_MovesOnlyWhatBalanceNeeds()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { [Consumer1] = Sub(Topic) };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Equal(PartitionList(Tp(Topic, 0), Tp(Topic, 1), Tp(Topic, 2)), assignment, Consumer1);

        subscriptions[Consumer1] = Owned(TopicList(Topic), assignment[Consumer1], GenerationId);
        subscriptions[Consumer2] = Owned(TopicList(Topic), PartitionList(), GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Equal(PartitionList(Tp(Topic, 0), Tp(Topic, 1)), assignment, Consumer1);
        Assert.Empty(assignment[Consumer2]);

        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Equal(PartitionList(Tp(Topic, 0), Tp(Topic, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 2)), assignment, Consumer2);

        subscriptions.Remove(Consumer1);
        subscriptions[Consumer2] = Owned(TopicList(Topic), assignment[Consumer2], GenerationId + 2);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        SetEqual(PartitionList(Tp(Topic, 2), Tp(Topic, 1), Tp(Topic, 0)), assignment, Consumer2);
        Assert.Equal(Tp(Topic, 2), assignment[Consumer2][0]);
    }

    [Fact]
    public void Assign_PoorRoundRobinScenario_ValidAndBalanced()
    {
        var partitionsPerTopic = new Dictionary<string, int>();
        for (int i = 1; i <= 5; i++)
        {
            partitionsPerTopic[$"topic{i}"] = (i % 2) + 1;
        }

        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Sub("topic1", "topic2", "topic3", "topic4", "topic5"),
            [Consumer2] = Sub("topic1", "topic3", "topic5"),
            [Consumer3] = Sub("topic1", "topic3", "topic5"),
            [Consumer4] = Sub("topic1", "topic2", "topic3", "topic4", "topic5"),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_AddRemoveTopicTwoConsumers_Sticky()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { [Consumer1] = Sub(Topic), [Consumer2] = Sub(Topic) };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Assert.True(FullyBalanced(assignment));
        var first1 = assignment[Consumer1].ToList();
        var first2 = assignment[Consumer2].ToList();

        partitionsPerTopic[Topic2] = 3;
        subscriptions[Consumer1] = Owned(TopicList(Topic, Topic2), first1, GenerationId);
        subscriptions[Consumer2] = Owned(TopicList(Topic, Topic2), first2, GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        Assert.Equal(3, assignment[Consumer1].Count);
        Assert.Equal(3, assignment[Consumer2].Count);
        Assert.True(first1.All(assignment[Consumer1].Contains));
        Assert.True(first2.All(assignment[Consumer2].Contains));
        var second1 = assignment[Consumer1].ToList();
        var second2 = assignment[Consumer2].ToList();

        partitionsPerTopic.Remove(Topic);
        subscriptions[Consumer1] = Owned(TopicList(Topic2), second1, GenerationId + 1);
        subscriptions[Consumer2] = Owned(TopicList(Topic2), second2, GenerationId + 1);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
        Assert.True(assignment[Consumer1].All(second1.Contains));
        Assert.True(assignment[Consumer2].All(second2.Contains));
    }

    [Fact]
    public void Assign_ReassignmentAfterOneConsumerLeaves_ValidBalancedAndSticky()
    {
        var partitionsPerTopic = new Dictionary<string, int>();
        for (int i = 1; i < 20; i++)
        {
            partitionsPerTopic[Name("t", i, 20)] = i;
        }

        var subscriptions = new Dictionary<string, Subscription>();
        for (int i = 1; i < 20; i++)
        {
            subscriptions[Name("c", i, 20)] = new Subscription(Enumerable.Range(1, i).Select(j => Name("t", j, 20)).ToList());
        }

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);

        foreach (string consumer in subscriptions.Keys.ToList())
        {
            subscriptions[consumer] = Owned(subscriptions[consumer].Topics, assignment[consumer], GenerationId);
        }

        subscriptions.Remove("c10");
        var previous = assignment;
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Valid(partitionsPerTopic, subscriptions, assignment);
        foreach ((string consumer, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            // Nothing moves between two remaining consumers in the same rebalance.
            foreach (TopicPartition partition in partitions)
            {
                string? owner = previous.FirstOrDefault(e => e.Value.Contains(partition)).Key;
                Assert.True(owner is null || owner == consumer || owner == "c10", $"{partition} moved from {owner} to {consumer}");
            }
        }

        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_ReassignmentAfterOneConsumerAdded_ValidAndBalanced()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 20 };
        var subscriptions = new Dictionary<string, Subscription>();
        for (int i = 1; i < 10; i++)
        {
            subscriptions[Name("c", i, 10)] = Sub(Topic);
        }

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);

        subscriptions[Name("c", 10, 10)] = Sub(Topic);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_SameSubscriptionsOneConsumerLeaves_ValidAndBalanced()
    {
        var partitionsPerTopic = new Dictionary<string, int>();
        for (int i = 1; i < 15; i++)
        {
            partitionsPerTopic[Name("t", i, 15)] = i;
        }

        var topics = partitionsPerTopic.Keys.ToList();
        var subscriptions = new Dictionary<string, Subscription>();
        for (int i = 1; i < 9; i++)
        {
            subscriptions[Name("c", i, 9)] = new Subscription(topics);
        }

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);

        foreach (string consumer in subscriptions.Keys.ToList())
        {
            subscriptions[consumer] = Owned(topics, assignment[consumer], GenerationId);
        }

        subscriptions.Remove(Name("c", 5, 9));
        var previous = assignment;
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        // Nobody loses a partition: the leaver's partitions are spread and everyone else keeps theirs.
        foreach (string consumer in subscriptions.Keys)
        {
            Assert.True(previous[consumer].All(assignment[consumer].Contains));
        }

        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_MoveExistingAssignments_ValidAndBalancedAfterSettling()
    {
        var partitionsPerTopic = Enumerable.Range(1, 6).ToDictionary(i => $"topic{i}", _ => 1);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList("topic1", "topic2"), PartitionList(Tp("topic1", 0)), GenerationId),
            [Consumer2] = Owned(TopicList("topic1", "topic2", "topic3", "topic4"), PartitionList(Tp("topic2", 0), Tp("topic3", 0)), GenerationId),
            [Consumer3] = Owned(TopicList("topic2", "topic3", "topic4", "topic5", "topic6"), PartitionList(Tp("topic4", 0), Tp("topic5", 0), Tp("topic6", 0)), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Valid(partitionsPerTopic, subscriptions, assignment);
        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_Stickiness_RemainingConsumersKeepTheirPartition()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Sub(Topic1),
            [Consumer2] = Sub(Topic1),
            [Consumer3] = Sub(Topic1),
            [Consumer4] = Sub(Topic1),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Assert.All(assignment.Values, partitions => Assert.True(partitions.Count <= 1));
        var before = assignment.Where(e => e.Value.Count == 1).ToDictionary(e => e.Key, e => e.Value[0]);

        subscriptions.Remove(Consumer1);
        foreach (string consumer in new[] { Consumer2, Consumer3, Consumer4 })
        {
            subscriptions[consumer] = Owned(TopicList(Topic1), assignment[consumer], GenerationId);
        }

        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        foreach ((string consumer, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            Assert.Single(partitions);
            Assert.True(!before.ContainsKey(consumer) || partitions.Contains(before[consumer]), "stickiness not honored for " + consumer);
        }
    }

    [Fact]
    public void Assign_AssignmentUpdatedForDeletedTopic_OnlyExistingTopics()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 1, ["topic3"] = 100 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub(Topic1, Topic2, "topic3") };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Assert.Equal(101, assignment["consumer"].Count);
    }

    [Fact]
    public void Assign_OnlySubscribedTopicDeleted_EmptyWithoutException()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3 };
        var subscriptions = new Dictionary<string, Subscription> { ["consumer"] = Sub(Topic) };
        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        subscriptions["consumer"] = Owned(TopicList(Topic), assignment["consumer"], GenerationId);

        assignment = _assignor.Assign(new Dictionary<string, int>(), subscriptions);

        Assert.Single(assignment);
        Assert.Empty(assignment["consumer"]);
    }

    [Fact]
    public void Assign_AllConsumersReachExpectedQuota_OwnedKeptNewFilled()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 4 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1)), GenerationId),
            [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 2)), GenerationId),
            [Consumer3] = Owned(TopicList(Topic), PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic, 0), Tp(Topic, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 2)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic, 3)), assignment, Consumer3);
    }

    [Fact]
    public void Assign_UnevenSubscriptionsNewSubscription_ValidAndBalanced()
    {
        // Kafka's testNewSubscription: consumers subscribe to growing topic ranges, then consumer 0 adds a topic.
        var partitionsPerTopic = Enumerable.Range(1, 4).ToDictionary(i => Name("t", i, 5), _ => 1);
        var topics = new Dictionary<string, List<string>>();
        for (int i = 0; i < 3; i++)
        {
            topics[Name("c", i, 3)] = Enumerable.Range(i, Math.Max(0, (3 * i) - 2 - i + 1)).Select(j => Name("t", j, 5)).ToList();
        }

        var subscriptions = topics.ToDictionary(e => e.Key, e => new Subscription(e.Value));
        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);

        topics[Name("c", 0, 3)].Add(Name("t", 1, 5));
        subscriptions = topics.ToDictionary(e => e.Key, e => Owned(e.Value, assignment[e.Key], GenerationId));
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_UnevenSubscriptionsConsumerLeavesTopic_RevokedPartitionHandedOverLater()
    {
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 2, [Topic2] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic2), PartitionList(Tp(Topic1, 0), Tp(Topic2, 0)), GenerationId),
            [Consumer2] = Owned(TopicList(Topic1, Topic2), PartitionList(Tp(Topic1, 1), Tp(Topic2, 1)), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        // consumer1 left topic1, so topic1-0 must go to consumer2, but only after consumer1 revoked it.
        Assert.DoesNotContain(Tp(Topic1, 0), assignment[Consumer2]);
        Assert.DoesNotContain(Tp(Topic1, 0), assignment[Consumer1]);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_RandomSubscriptionsAndChanges_ValidBalancedAndNoHandover()
    {
        // Kafka's testReassignmentWithRandomSubscriptionsAndChanges, with a fixed seed and fewer rounds.
        var random = new Random(20240601);
        for (int round = 0; round < 10; round++)
        {
            int numTopics = 3 + random.Next(6);
            var topics = Enumerable.Range(0, numTopics).Select(i => Name("t", i, 20)).ToList();
            var partitionsPerTopic = topics.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i + 1);
            int numConsumers = 2 + random.Next(8);

            var subscriptions = new Dictionary<string, Subscription>();
            for (int i = 0; i < numConsumers; i++)
            {
                subscriptions[Name("c", i, 40)] = new Subscription(RandomSublist(random, topics));
            }

            var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
            ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);

            var next = new Dictionary<string, Subscription>();
            for (int i = 0; i < numConsumers; i++)
            {
                string consumer = Name("c", i, 40);
                next[consumer] = Owned(RandomSublist(random, topics), assignment[consumer], GenerationId);
            }

            assignment = _assignor.Assign(partitionsPerTopic, next);
            SettleCooperative(_assignor, partitionsPerTopic, next, assignment);
        }
    }

    [Fact]
    public void Assign_LargeUniformGroup_FastAndFullyBalanced()
    {
        var topics = Enumerable.Range(0, 50).Select(i => Name("t", i, 50)).ToList();
        var partitionsPerTopic = topics.ToDictionary(t => t, _ => 200);
        var subscriptions = Enumerable.Range(0, 300).ToDictionary(i => Name("c", i, 300), _ => new Subscription(topics));

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        foreach (string consumer in subscriptions.Keys.Skip(1).ToList())
        {
            subscriptions[consumer] = Owned(topics, assignment[consumer], GenerationId);
        }

        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Valid(partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    private static List<string> RandomSublist(Random random, List<string> list)
    {
        var copy = list.ToList();
        int count = random.Next(copy.Count + 1);
        while (copy.Count > count)
        {
            copy.RemoveAt(random.Next(copy.Count));
        }

        return copy;
    }

    private static string Name(string prefix, int i, int max) =>
        prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(max.ToString(System.Globalization.CultureInfo.InvariantCulture).Length, '0');
}
