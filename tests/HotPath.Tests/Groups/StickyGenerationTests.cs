using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>
/// How the cooperative-sticky assignor weighs owned partitions that members report from different generations.
/// Kafka's rule (AbstractStickyAssignor.allSubscriptionsEqual, since KAFKA-14639): a member keeps a partition it owns
/// when nobody else claims it, whatever its generation; of several claimers the one of the highest generation wins;
/// two claimers of that same generation both lose it. Each case names the Kafka test it is ported from, or says that it
/// is our own (cooperative cases Kafka's tests leave out).
/// </summary>
public sealed class StickyGenerationTests
{
    private const string Topic = "topic";
    private const string Topic1 = "topic1";
    private const string Topic2 = "topic2";
    private const string Topic3 = "topic3";
    private const string Consumer1 = "consumer1";
    private const string Consumer2 = "consumer2";
    private const string Consumer3 = "consumer3";
    private const string Consumer4 = "consumer4";
    private const int GenerationId = 1;
    private const int CurrentGeneration = 10;

    private readonly CooperativeStickyAssignor _assignor = new();

    [Fact]
    public void Assign_MembersOfOlderGenerationsOwnUncontestedPartitions_NoneReassigned()
    {
        // Kafka: AbstractStickyAssignorTest.testNoReassignmentOnCurrentMembers
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3, [Topic1] = 3, [Topic2] = 3, [Topic3] = 3 };
        var topics = TopicList(Topic, Topic2, Topic3, Topic1);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(), -1),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic, 0), Tp(Topic2, 0), Tp(Topic1, 0)), CurrentGeneration - 1),
            [Consumer3] = Owned(topics, PartitionList(Tp(Topic3, 2), Tp(Topic2, 2), Tp(Topic1, 1)), CurrentGeneration - 2),
            [Consumer4] = Owned(topics, PartitionList(Tp(Topic3, 1), Tp(Topic, 1), Tp(Topic, 2)), CurrentGeneration - 3),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(PartitionList(Tp(Topic1, 2), Tp(Topic2, 1), Tp(Topic3, 0)), assignment, Consumer1);
        SetEqual(subscriptions[Consumer2].OwnedPartitions!, assignment, Consumer2);
        SetEqual(subscriptions[Consumer3].OwnedPartitions!, assignment, Consumer3);
        SetEqual(subscriptions[Consumer4].OwnedPartitions!, assignment, Consumer4);
        Complete(partitionsPerTopic, subscriptions, assignment); // Kafka: partitionsTransferringOwnership is empty
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_PartitionsClaimedInThreeGenerations_HighestGenerationKeepsEachAndStaleMemberKeepsTheRest()
    {
        // Kafka: AbstractStickyAssignorTest.testEnsurePartitionsAssignedToHighestGeneration
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3, [Topic2] = 3, [Topic3] = 3 };
        var topics = TopicList(Topic, Topic2, Topic3);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic, 0), Tp(Topic2, 0), Tp(Topic3, 0)), CurrentGeneration),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic, 1), Tp(Topic2, 1), Tp(Topic3, 1)), CurrentGeneration - 1),
            [Consumer3] = Owned(topics, PartitionList(Tp(Topic2, 1), Tp(Topic3, 0), Tp(Topic3, 2)), CurrentGeneration - 2),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(PartitionList(Tp(Topic, 0), Tp(Topic2, 0), Tp(Topic3, 0)), assignment, Consumer1);
        SetEqual(PartitionList(Tp(Topic, 1), Tp(Topic2, 1), Tp(Topic3, 1)), assignment, Consumer2);
        SetEqual(PartitionList(Tp(Topic, 2), Tp(Topic2, 2), Tp(Topic3, 2)), assignment, Consumer3);
        Complete(partitionsPerTopic, subscriptions, assignment); // Kafka: partitionsTransferringOwnership is empty
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_StaleMemberClaimsSomeOfNewerMembersPartitions_KeepsOnlyItsUncontestedOne()
    {
        // Kafka: AbstractStickyAssignorTest.testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3, [Topic2] = 3 };
        var topics = TopicList(Topic, Topic2);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic, 0), Tp(Topic2, 1), Tp(Topic, 1)), CurrentGeneration),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic, 0), Tp(Topic2, 1), Tp(Topic2, 2)), CurrentGeneration - 2),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(PartitionList(Tp(Topic, 0), Tp(Topic2, 1), Tp(Topic, 1)), assignment, Consumer1);
        SetEqual(PartitionList(Tp(Topic, 2), Tp(Topic2, 2), Tp(Topic2, 0)), assignment, Consumer2);
        Complete(partitionsPerTopic, subscriptions, assignment); // Kafka: partitionsTransferringOwnership is empty
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_UnequalSubscriptionsSamePartitionClaimedInThreeGenerations_NoDuplicateAndOneOrTwoEach()
    {
        // Kafka: AbstractStickyAssignorTest.testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 6, [Topic1] = 1 };
        int[][] sequence = [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]];
        foreach (int[] generations in sequence)
        {
            var subscriptions = new Dictionary<string, Subscription>
            {
                [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 2)), generations[0]),
                [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 1), Tp(Topic, 2), Tp(Topic, 3)), generations[1]),
                [Consumer3] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 2), Tp(Topic, 4), Tp(Topic, 5)), generations[2]),
                [Consumer4] = Owned(TopicList(Topic1), PartitionList(Tp(Topic1, 0)), 2),
            };

            var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

            string order = string.Join(",", generations);
            Valid(partitionsPerTopic, subscriptions, assignment);
            Assert.All(assignment, entry => Assert.True(entry.Value.Count is >= 1 and <= 2, $"generations {order}: {entry.Key} got {entry.Value.Count}"));
            SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        }
    }

    [Fact]
    public void Assign_OldProtocolOwnersAndNewMemberOfSameGeneration_OwnersKeepNewMemberGetsRest()
    {
        // Kafka: CooperativeStickyAssignorTest.testAssignorWithOldVersionSubscriptions (the generation came in user
        // data there; here every member reports it directly)
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 3 };
        var topics = TopicList(Topic1);
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(topics, PartitionList(Tp(Topic1, 0)), GenerationId),
            [Consumer2] = Owned(topics, PartitionList(Tp(Topic1, 1)), GenerationId),
            [Consumer3] = Owned(topics, PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic1, 0)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic1, 1)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic1, 2)), assignment, Consumer3);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_UnequalSubscriptionsOlderGenerationOwners_KeepUncontestedPartitions()
    {
        // Our own: the general (unequal subscriptions) path honours uncontested owners of older generations, and of no
        // known generation, too; dropping their claims would deal topic1-1..3 out afresh (consumer2 would get topic1-1).
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 4, [Topic2] = 1 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic1, Topic2), PartitionList(Tp(Topic1, 0), Tp(Topic2, 0)), 5),
            [Consumer2] = Owned(TopicList(Topic1), PartitionList(Tp(Topic1, 2), Tp(Topic1, 3)), 3),
            [Consumer3] = Owned(TopicList(Topic1), PartitionList(Tp(Topic1, 1)), -1),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(subscriptions[Consumer1].OwnedPartitions!, assignment, Consumer1);
        SetEqual(subscriptions[Consumer2].OwnedPartitions!, assignment, Consumer2);
        SetEqual(subscriptions[Consumer3].OwnedPartitions!, assignment, Consumer3);
    }

    [Fact]
    public void Assign_UnequalSubscriptionsPartitionMovesToItsStaleClaimer_LeftOutUntilOwnerRevokes()
    {
        // Our own: consumer2 still reports topic1-0 from generation 1, but consumer1 owns it in generation 2. Balancing
        // moves topic1-0 back to its previous owner consumer2 first; consumer1 must revoke it before consumer2 may take
        // it, though consumer2 lists it as owned (Kafka's general path would hand it over in the same rebalance).
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 4, [Topic2] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic1, Topic2), PartitionList(Tp(Topic1, 0), Tp(Topic1, 1), Tp(Topic1, 2), Tp(Topic1, 3), Tp(Topic2, 0)), 2),
            [Consumer2] = Owned(TopicList(Topic1), PartitionList(Tp(Topic1, 0)), 1),
            [Consumer3] = Owned(TopicList(Topic2), PartitionList(Tp(Topic2, 1)), 2),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Assert.DoesNotContain(assignment.Values, partitions => partitions.Contains(Tp(Topic1, 0)));
        NoPartitionTakenFromItsOwner(subscriptions, assignment);
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_UnequalSubscriptionsClaimedTwiceInSameGeneration_NeitherClaimerGetsItUntilBothRevoke()
    {
        // Our own: in the general path Kafka lets one of two same-generation claimers keep a partition while the other
        // revokes it; like Kafka's constrained path, the partition is unowned and waits until both gave it up.
        var partitionsPerTopic = new Dictionary<string, int> { [Topic1] = 2, [Topic2] = 1 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic1, Topic2), PartitionList(Tp(Topic1, 0), Tp(Topic2, 0)), GenerationId),
            [Consumer2] = Owned(TopicList(Topic1), PartitionList(Tp(Topic1, 0), Tp(Topic1, 1)), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Assert.DoesNotContain(assignment.Values, partitions => partitions.Contains(Tp(Topic1, 0)));
        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Complete(partitionsPerTopic, subscriptions, assignment);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(-1)]
    public void Assign_OwnerWithStaleOrNoGeneration_OwnedPartitionsInvalidated(int staleGeneration)
    {
        // Kafka: AbstractStickyAssignorTest.testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration and
        // testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3, [Topic2] = 3 };
        var owned = PartitionList(Tp(Topic, 0), Tp(Topic, 2), Tp(Topic2, 1));
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic, Topic2), owned, 10),
            [Consumer2] = Owned(TopicList(Topic, Topic2), owned, staleGeneration),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        SetEqual(owned, assignment, Consumer1);
        SetEqual(PartitionList(Tp(Topic, 1), Tp(Topic2, 0), Tp(Topic2, 2)), assignment, Consumer2);
    }

    [Fact]
    public void Assign_ClaimedByTwoConsumersSameGenerationEqualQuota_LeftOutUntilBothRevoke()
    {
        // Kafka: CooperativeStickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1))),
            [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 2))),
            [Consumer3] = Owned(TopicList(Topic), PartitionList()),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 2)), assignment, Consumer2);
        Assert.Empty(assignment[Consumer3]);

        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Equal(PartitionList(Tp(Topic, 0)), assignment, Consumer3);
        Assert.True(FullyBalanced(assignment));
    }

    [Fact]
    public void Assign_ClaimedByTwoConsumersSameGenerationUnequalQuota_LeftOutUntilBothRevoke()
    {
        // Kafka: CooperativeStickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 4 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1))),
            [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 2))),
            [Consumer3] = Owned(TopicList(Topic), PartitionList()),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic, 1), Tp(Topic, 3)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 2)), assignment, Consumer2);
        Assert.Empty(assignment[Consumer3]);

        SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
    }

    [Fact]
    public void Assign_ClaimedByTwoConsumersOfHighestGeneration_TransferredToThirdAfterRevocation()
    {
        // Kafka: AbstractStickyAssignorTest.testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 3 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1)), GenerationId),
            [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 2)), GenerationId),
            [Consumer3] = Owned(TopicList(Topic), PartitionList(), GenerationId),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);
        Assert.DoesNotContain(assignment.Values, partitions => partitions.Contains(Tp(Topic, 0)));

        assignment = SettleCooperative(_assignor, partitionsPerTopic, subscriptions, assignment);
        Equal(PartitionList(Tp(Topic, 1)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 2)), assignment, Consumer2);
        Equal(PartitionList(Tp(Topic, 0)), assignment, Consumer3);
    }

    [Fact]
    public void Assign_ClaimedByOlderAndNewerGeneration_NewerKeepsIt()
    {
        // Our own: the older claimer keeps its uncontested partition.
        var partitionsPerTopic = new Dictionary<string, int> { [Topic] = 2 };
        var subscriptions = new Dictionary<string, Subscription>
        {
            [Consumer1] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0)), 3),
            [Consumer2] = Owned(TopicList(Topic), PartitionList(Tp(Topic, 0), Tp(Topic, 1)), 2),
        };

        var assignment = _assignor.Assign(partitionsPerTopic, subscriptions);

        Equal(PartitionList(Tp(Topic, 0)), assignment, Consumer1);
        Equal(PartitionList(Tp(Topic, 1)), assignment, Consumer2);
    }
}
