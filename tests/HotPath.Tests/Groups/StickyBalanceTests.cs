using System.Globalization;
using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>
/// Balance of the cooperative-sticky assignor after members come and go: per topic when every member subscribes to the
/// same topics (Kafka's KAFKA-16277: a member keeps its owned partitions lowest partition index first, so the kept
/// ones spread over the topics), and overall in large groups with unequal subscriptions. Each case names the Kafka test
/// it is ported from; where Kafka checks the result after its cooperative follow-up rebalances, so does
/// <see cref="SettleCooperative"/> here.
/// </summary>
public sealed class StickyBalanceTests
{
    private const string Topic1 = "topic1";
    private const string Topic2 = "topic2";
    private const string Consumer1 = "consumer1";
    private const string Consumer2 = "consumer2";
    private const string Consumer3 = "consumer3";
    private const string Consumer4 = "consumer4";
    private const int GenerationId = 1;

    private readonly CooperativeStickyAssignor _assignor = new();

    [Fact]
    public void Assign_ConsumersAddedThenRemovedOverTwoTopics_EachTopicSplitEvenly()
    {
        // Kafka: AbstractStickyAssignorTest.testTopicBalanceAfterReassignment
        var allTopics = TopicList(Topic1, Topic2);
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 12, [Topic2] = 12 };
        var subscriptions = new Dictionary<string, Subscription> { [Consumer1] = new(allTopics) };
        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        EachTopicPerMember(assignment, 12);
        Complete(partitionsPerTopic, subscriptions, assignment);

        // Add another consumer.
        subscriptions[Consumer1] = Owned(allTopics, assignment[Consumer1], GenerationId);
        subscriptions[Consumer2] = Owned(allTopics, PartitionList(), GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        EachTopicPerMember(assignment, 6);
        Assert.True(FullyBalanced(assignment));

        // Add two more consumers.
        subscriptions[Consumer1] = Owned(allTopics, assignment[Consumer1], GenerationId);
        subscriptions[Consumer2] = Owned(allTopics, assignment[Consumer2], GenerationId);
        subscriptions[Consumer3] = Owned(allTopics, PartitionList(), GenerationId);
        subscriptions[Consumer4] = Owned(allTopics, PartitionList(), GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        EachTopicPerMember(assignment, 3);
        Assert.True(FullyBalanced(assignment));

        // Remove two consumers: the two left keep theirs and take over the rest, nothing is revoked.
        subscriptions.Remove(Consumer1);
        subscriptions.Remove(Consumer2);
        subscriptions[Consumer3] = Owned(allTopics, assignment[Consumer3], GenerationId);
        subscriptions[Consumer4] = Owned(allTopics, assignment[Consumer4], GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Complete(partitionsPerTopic, subscriptions, assignment); // Kafka: partitionsTransferringOwnership is empty
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        EachTopicPerMember(assignment, 6);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_AddRemoveTwoConsumersTwoTopics_KafkaExpectedAssignmentsAndTransfers()
    {
        // Kafka: AbstractStickyAssignorTest.testAddRemoveTwoConsumersTwoTopics (the expectations of KAFKA-16277 on)
        var allTopics = TopicList(Topic1, Topic2);
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3, [Topic2] = 4 };
        var subscriptions = new Dictionary<string, Subscription> { [Consumer1] = new(allTopics), [Consumer2] = new(allTopics) };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic1, 2), Tp(Topic2, 1), Tp(Topic2, 3)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, Consumer2);
        Assert.True(FullyBalanced(assignment));

        // Add two consumers. Kafka's partitionsTransferringOwnership is {topic1-2: consumer3, topic2-3: consumer3,
        // topic2-2: consumer4}: those are left out until their owners revoked them.
        subscriptions[Consumer1] = Owned(allTopics, assignment[Consumer1], GenerationId);
        subscriptions[Consumer2] = Owned(allTopics, assignment[Consumer2], GenerationId);
        subscriptions[Consumer3] = Owned(allTopics, PartitionList(), GenerationId);
        subscriptions[Consumer4] = Owned(allTopics, PartitionList(), GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic2, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic2, 0), Tp(Topic1, 1)), assignment, Consumer2);
        Assert.Empty(assignment[Consumer3]);
        Assert.Empty(assignment[Consumer4]);

        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Equal(PartitionList(Tp(Topic1, 0), Tp(Topic2, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic2, 0), Tp(Topic1, 1)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic1, 2), Tp(Topic2, 3)), assignment, Consumer3);
        Equal(PartitionList(Tp(Topic2, 2)), assignment, Consumer4);
        Assert.True(FullyBalanced(assignment));

        // Remove two consumers: nothing is owned by anyone else, so nothing is left out.
        subscriptions.Remove(Consumer1);
        subscriptions.Remove(Consumer2);
        subscriptions[Consumer3] = Owned(allTopics, assignment[Consumer3], GenerationId);
        subscriptions[Consumer4] = Owned(allTopics, assignment[Consumer4], GenerationId);
        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Equal(PartitionList(Tp(Topic1, 2), Tp(Topic2, 3), Tp(Topic1, 0), Tp(Topic2, 1)), assignment, Consumer3);
        Equal(PartitionList(Tp(Topic2, 2), Tp(Topic1, 1), Tp(Topic2, 0)), assignment, Consumer4);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_OwnerOfManyTopicsLosesPartitions_KeepsLowestPartitionIndexesAcrossTopics()
    {
        // Our own, the situation of Kafka's KAFKA-16277 report: one member owns every partition of three topics and two
        // members join; the owner keeps the lowest partition indexes of each topic, so every member ends with a third of
        // each topic instead of one topic each.
        var topics = TopicList("a", "b", "c");
        var partitionsPerTopic = topics.ToDictionary(t => t, _ => 6);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, topics.SelectMany(t => Enumerable.Range(0, 6).Select(p => Tp(t, p))), GenerationId),
            [Consumer2] = Owned(topics, PartitionList(), GenerationId),
            [Consumer3] = Owned(topics, PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(PartitionList(Tp("a", 0), Tp("a", 1), Tp("b", 0), Tp("b", 1), Tp("c", 0), Tp("c", 1)), assignment, Consumer1);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        foreach (string topic in topics)
        {
            Assert.All(assignment, entry => Assert.Equal(2, entry.Value.Count(p => p.Topic == topic)));
        }
    }

    [Fact]
    public void Assign_LargeGroupTwoDisjointSubscriptions_CompletesValidAndBalanced()
    {
        // Kafka: AbstractStickyAssignorTest.testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout (KAFKA-15106), at
        // 40 topics x 50 partitions and 200 consumers instead of 100 x 200 and 500.
        const int topicCount = 40;
        const int consumerCount = 200;
        var topics = Enumerable.Range(0, topicCount).Select(i => Name("t", i, topicCount)).ToList();
        var partitionsPerTopic = topics.ToDictionary(t => t, _ => 50);
        List<string> TopicsOf(int i) => i % 4 == 0 ? topics.GetRange(0, topicCount / 2) : topics.GetRange(topicCount / 2, topicCount / 2);
        var subscriptions = Enumerable.Range(0, consumerCount).ToDictionary(i => Name("c", i, consumerCount), i => new Subscription(TopicsOf(i)));

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        for (int i = 1; i < consumerCount; i++)
        {
            string consumer = Name("c", i, consumerCount);
            subscriptions[consumer] = Owned(TopicsOf(i), assignment[consumer], GenerationId);
        }

        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_LargeGroupOneConsumerOnOneTopic_CompletesValidAndBalanced()
    {
        // Kafka: AbstractStickyAssignorTest.testLargeAssignmentAndGroupWithNonEqualSubscription, at 20 topics x 100
        // partitions and 200 consumers instead of 500 x 2,000 and 2,000.
        const int topicCount = 20;
        const int consumerCount = 200;
        var topics = Enumerable.Range(0, topicCount).Select(i => Name("t", i, topicCount)).ToList();
        var partitionsPerTopic = topics.ToDictionary(t => t, _ => 100);
        List<string> TopicsOf(int i) => i == consumerCount - 1 ? topics.GetRange(0, 1) : topics;
        var subscriptions = Enumerable.Range(0, consumerCount).ToDictionary(i => Name("c", i, consumerCount), i => new Subscription(TopicsOf(i)));

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        for (int i = 1; i < consumerCount; i++)
        {
            string consumer = Name("c", i, consumerCount);
            subscriptions[consumer] = Owned(TopicsOf(i), assignment[consumer], GenerationId);
        }

        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(20240601)]
    public void Assign_RandomSubscriptionsThenFiftyConsumersLeave_ValidAndBalanced(int seed)
    {
        // Kafka: AbstractStickyAssignorTest.testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription, with a
        // fixed seed. As there, a subscription may name a topic twice.
        var random = new Random(seed);
        const int topicCount = 40;
        const int consumerCount = 200;
        var partitionsPerTopic = Enumerable.Range(0, topicCount).ToDictionary(i => Name("t", i, topicCount), _ => random.Next(10) + 1);
        var subscriptions = new Dictionary<string, Subscription>();
        for (int i = 0; i < consumerCount; i++)
        {
            var topics = new List<string>();
            for (int j = 0; j < random.Next(20); j++)
            {
                topics.Add(Name("t", random.Next(topicCount), topicCount));
            }

            subscriptions[Name("c", i, consumerCount)] = new Subscription(topics);
        }

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);

        for (int i = 1; i < consumerCount; i++)
        {
            string consumer = Name("c", i, consumerCount);
            subscriptions[consumer] = Owned(subscriptions[consumer].Topics, assignment[consumer], GenerationId);
        }

        for (int i = 0; i < 50; i++)
        {
            subscriptions.Remove(Name("c", random.Next(consumerCount), consumerCount));
        }

        assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Valid(partitionsPerTopic, subscriptions, assignment);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_KafkaSizedRandomSubscriptionsAndChanges_ValidBalancedAndNoHandover()
    {
        // Kafka: AbstractStickyAssignorTest.testReassignmentWithRandomSubscriptionsAndChanges at Kafka's sizes (20-39
        // consumers, 10-19 topics), with a fixed seed and 20 rounds instead of 100.
        var random = new Random(424242);
        for (int round = 0; round < 20; round++)
        {
            int numTopics = 10 + random.Next(10);
            var topics = Enumerable.Range(0, numTopics).Select(i => Name("t", i, 20)).ToList();
            var partitionsPerTopic = topics.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i + 1);
            int numConsumers = 20 + random.Next(20);

            var subscriptions = new Dictionary<string, Subscription>();
            for (int i = 0; i < numConsumers; i++)
            {
                subscriptions[Name("c", i, 40)] = new Subscription(RandomSortedSublist(random, topics));
            }

            var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
            assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);

            var next = new Dictionary<string, Subscription>();
            for (int i = 0; i < numConsumers; i++)
            {
                string consumer = Name("c", i, 40);
                next[consumer] = Owned(RandomSortedSublist(random, topics), assignment[consumer], GenerationId);
            }

            assignment = _assignor.Assign(partitionsPerTopic, next);
            SettleCooperative(_assignor, partitionsPerTopic, next, assignment);
        }
    }

    private static void EachTopicPerMember(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment, int expected)
    {
        foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            Assert.True(expected == partitions.Count(p => p.Topic == Topic1), $"{member} has {partitions.Count(p => p.Topic == Topic1)} of {Topic1}, expected {expected}: {string.Join(", ", partitions)}");
            Assert.True(expected == partitions.Count(p => p.Topic == Topic2), $"{member} has {partitions.Count(p => p.Topic == Topic2)} of {Topic2}, expected {expected}: {string.Join(", ", partitions)}");
        }
    }

    private static List<string> RandomSortedSublist(Random random, List<string> list)
    {
        var copy = list.ToList();
        int remove = random.Next(copy.Count);
        for (int i = 0; i < remove; i++)
        {
            copy.RemoveAt(random.Next(copy.Count));
        }

        copy.Sort(StringComparer.Ordinal);
        return copy;
    }

    private static string Name(string prefix, int i, int max) =>
        prefix + i.ToString(CultureInfo.InvariantCulture).PadLeft(max.ToString(CultureInfo.InvariantCulture).Length, '0');
}
