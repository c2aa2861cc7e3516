using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Groups;
using static HotPath.Tests.Groups.AssignmentAssert;

namespace HotPath.Tests.Groups;

/// <summary>
/// Properties of the three assignors over generated groups: 1-5 topics of 1-8 partitions, 1-6 members, random
/// subscriptions (sometimes all equal, sometimes naming a topic that does not exist), random owned partitions with
/// random generations (so some claims are stale and some are double).
/// </summary>
public sealed class AssignorProperties
{
    private const int MaxTest = 300;

    [Property(MaxTest = MaxTest)]
    public Property Range_AnyGroup_ValidCompleteAndBalancedPerTopic() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var assignment = new RangeAssignor().Assign(scenario.PartitionsPerTopic, scenario.Subscriptions);

            Valid(scenario.PartitionsPerTopic, scenario.Subscriptions, assignment);
            Complete(scenario.PartitionsPerTopic, scenario.Subscriptions, assignment);
            foreach (string topic in scenario.PartitionsPerTopic.Keys)
            {
                var counts = scenario.Subscriptions.Where(s => s.Value.Topics.Contains(topic))
                    .Select(s => assignment[s.Key].Count(p => p.Topic == topic)).ToList();
                Assert.True(counts.Count == 0 || counts.Max() - counts.Min() <= 1, "range is unbalanced on " + topic);
            }
        });

    [Property(MaxTest = MaxTest)]
    public Property RoundRobin_AnyGroup_ValidCompleteAndBalancedWhenSubscriptionsEqual() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var assignment = new RoundRobinAssignor().Assign(scenario.PartitionsPerTopic, scenario.Subscriptions);

            Valid(scenario.PartitionsPerTopic, scenario.Subscriptions, assignment);
            Complete(scenario.PartitionsPerTopic, scenario.Subscriptions, assignment);
            if (scenario.AllSubscriptionsEqual)
            {
                Assert.True(FullyBalanced(assignment), "round-robin is unbalanced with equal subscriptions");
            }
        });

    [Property(MaxTest = MaxTest)]
    public Property CooperativeSticky_AnyGroup_ValidAndNoPartitionTakenFromItsOwner() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var assignment = new CooperativeStickyAssignor().Assign(scenario.PartitionsPerTopic, scenario.Subscriptions);

            Valid(scenario.PartitionsPerTopic, scenario.Subscriptions, assignment);
            NoPartitionTakenFromItsOwner(scenario.Subscriptions, assignment);

            // Every partition left out is being revoked from a member that reports owning it.
            var assigned = assignment.Values.SelectMany(p => p).ToHashSet();
            var claimed = scenario.Subscriptions.Values.SelectMany(s => s.OwnedPartitions ?? Array.Empty<TopicPartition>()).ToHashSet();
            foreach (TopicPartition partition in AllSubscribedPartitions(scenario))
            {
                Assert.True(assigned.Contains(partition) || claimed.Contains(partition), $"{partition} left out though nobody owns it");
            }
        });

    [Property(MaxTest = MaxTest)]
    public Property CooperativeSticky_FollowUpRebalance_CompleteAndBalanced() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var assignor = new CooperativeStickyAssignor();
            var subscriptions = new Dictionary<string, Subscription>(scenario.Subscriptions);
            var first = assignor.Assign(scenario.PartitionsPerTopic, subscriptions);

            var settled = FollowUp(assignor, scenario.PartitionsPerTopic, subscriptions, first);
            if (scenario.AllSubscriptionsEqual)
            {
                // One follow-up is enough when subscriptions are equal.
                Complete(scenario.PartitionsPerTopic, subscriptions, settled);
                Assert.True(FullyBalanced(settled), "cooperative-sticky is unbalanced with equal subscriptions");
            }

            for (int round = 0; round < 4 && !SameAsOwned(subscriptions, settled); round++)
            {
                settled = FollowUp(assignor, scenario.PartitionsPerTopic, subscriptions, settled);
            }

            Complete(scenario.PartitionsPerTopic, subscriptions, settled);
            ValidAndBalanced(scenario.PartitionsPerTopic, subscriptions, settled);
        });

    [Property(MaxTest = MaxTest)]
    public Property CooperativeSticky_BalancedPreviousAssignment_NoPartitionMoves() =>
        Prop.ForAll(Scenarios(equalSubscriptions: true), scenario =>
        {
            // Deal the partitions of the common subscription out evenly, in a random order, as the previous assignment.
            var members = scenario.Subscriptions.Keys.ToList();
            var topics = scenario.Subscriptions[members[0]].Topics;
            var shuffled = AllSubscribedPartitions(scenario).OrderBy(p => JavaHashOrder.PartitionHash(p) * (scenario.Seed | 1)).ToList();
            var previous = members.ToDictionary(m => m, _ => new List<TopicPartition>());
            for (int i = 0; i < shuffled.Count; i++)
            {
                previous[members[i % members.Count]].Add(shuffled[i]);
            }

            var subscriptions = members.ToDictionary(m => m, m => Owned(topics, previous[m], 5));

            var assignment = new CooperativeStickyAssignor().Assign(scenario.PartitionsPerTopic, subscriptions);

            foreach (string member in members)
            {
                SetEqual(previous[member], assignment, member);
            }
        });

    [Property(MaxTest = MaxTest)]
    public Property CooperativeSticky_EqualSubscriptions_OwnersOfAnyGenerationKeepUncontestedPartitionsUpToQuota() =>
        Prop.ForAll(Scenarios(equalSubscriptions: true), scenario =>
        {
            // The generation rule: a partition belongs to the member that claims it at the highest generation among its
            // claimers, whether or not that is the group's highest generation. Such an owner keeps what it owns up to
            // the quota (Kafka's constrained assignment), whatever stale claims other members make.
            var assignment = new CooperativeStickyAssignor().Assign(scenario.PartitionsPerTopic, scenario.Subscriptions);

            var partitions = AllSubscribedPartitions(scenario).ToHashSet();
            int minQuota = partitions.Count / scenario.Subscriptions.Count;
            Dictionary<TopicPartition, string?> owners = EffectiveOwners(scenario.Subscriptions);
            foreach (string member in scenario.Subscriptions.Keys)
            {
                var owned = partitions.Where(p => owners.TryGetValue(p, out string? owner) && owner == member).ToList();
                int kept = owned.Count(assignment[member].Contains);
                Assert.True(
                    kept >= Math.Min(owned.Count, minQuota),
                    $"{member} kept {kept} of the {owned.Count} partitions it owns by generation ({string.Join(",", owned)}), quota {minQuota}: {string.Join(",", assignment[member])}");
            }
        });

    [Property(MaxTest = MaxTest)]
    public Property CooperativeSticky_GenerationsRenumberedInOrder_SameAssignment() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            // Only the order of generations matters: spreading them out (-1 stays unknown) changes nothing.
            var renumbered = scenario.Subscriptions.ToDictionary(
                e => e.Key, e => e.Value with { Generation = e.Value.Generation < 0 ? -1 : (e.Value.Generation * 7) + 3 });

            var expected = new CooperativeStickyAssignor().Assign(scenario.PartitionsPerTopic, scenario.Subscriptions);
            var actual = new CooperativeStickyAssignor().Assign(scenario.PartitionsPerTopic, renumbered);

            foreach (string member in scenario.Subscriptions.Keys)
            {
                Assert.Equal(expected[member], actual[member]);
            }
        });

    private static IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> FollowUp(
        IPartitionAssignor assignor,
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        Dictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        int generation = subscriptions.Values.Max(s => s.Generation) + 1;
        foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            subscriptions[member] = subscriptions[member] with { OwnedPartitions = partitions.ToList(), Generation = generation };
        }

        var next = assignor.Assign(partitionsPerTopic, subscriptions);
        Valid(partitionsPerTopic, subscriptions, next);
        return next;
    }

    private static bool SameAsOwned(
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment) =>
        assignment.All(e => (subscriptions[e.Key].OwnedPartitions ?? Array.Empty<TopicPartition>()).ToHashSet().SetEquals(e.Value));

    private static IEnumerable<TopicPartition> AllSubscribedPartitions(Scenario scenario) =>
        scenario.Subscriptions.Values.SelectMany(s => s.Topics).Distinct()
            .Where(scenario.PartitionsPerTopic.ContainsKey)
            .SelectMany(t => Enumerable.Range(0, scenario.PartitionsPerTopic[t]).Select(p => Tp(t, p)));

    private static Arbitrary<Scenario> Scenarios(bool equalSubscriptions = false)
    {
        Gen<Scenario> gen =
            from topicCount in Gen.Choose(1, 5)
            from partitionCounts in Gen.ArrayOf(Gen.Choose(1, 8), topicCount)
            from memberCount in Gen.Choose(1, 6)
            from equal in equalSubscriptions ? Gen.Constant(true) : Gen.Elements(true, false)
            from commonMask in Gen.Choose(1, (1 << (topicCount + 1)) - 1)
            from masks in Gen.ArrayOf(Gen.Choose(0, (1 << (topicCount + 1)) - 1), memberCount)
            from generations in Gen.ArrayOf(Gen.Elements(-1, 1, 2, 2, 2), memberCount)
            from owners in Gen.ArrayOf(Gen.Choose(-1, memberCount - 1), partitionCounts.Sum())
            from secondOwners in Gen.ArrayOf(Gen.Frequency((9, Gen.Constant(-1)), (1, Gen.Choose(0, memberCount - 1))), partitionCounts.Sum())
            from staticIds in Gen.ArrayOf(Gen.Elements<string?>(null, null, "i1", "i2", "i3"), memberCount)
            from seed in Gen.Choose(1, 1_000_000)
            select Scenario.Build(partitionCounts, equal ? Enumerable.Repeat(commonMask, memberCount).ToArray() : masks, generations, owners, secondOwners, staticIds, seed);
        return Arb.From(gen);
    }

    /// <summary>One generated group.</summary>
    public sealed class Scenario
    {
        private Scenario(Dictionary<string, int> partitionsPerTopic, Dictionary<string, Subscription> subscriptions, int seed)
        {
            PartitionsPerTopic = partitionsPerTopic;
            Subscriptions = subscriptions;
            Seed = seed;
            var first = subscriptions.Values.First().Topics.ToHashSet();
            AllSubscriptionsEqual = subscriptions.Values.All(s => first.SetEquals(s.Topics));
        }

        public Dictionary<string, int> PartitionsPerTopic { get; }

        public Dictionary<string, Subscription> Subscriptions { get; }

        public bool AllSubscriptionsEqual { get; }

        public int Seed { get; }

        /// <summary>
        /// Builds the group: topic bit <c>i</c> of a member's mask subscribes it to topic <c>t{i}</c>; the extra top bit
        /// is a topic that does not exist. Each partition has an owner index (-1 for none) and sometimes a second one.
        /// </summary>
        public static Scenario Build(int[] partitionCounts, int[] masks, int[] generations, int[] owners, int[] secondOwners, string?[] staticIds, int seed)
        {
            var partitionsPerTopic = new Dictionary<string, int>();
            for (int t = 0; t < partitionCounts.Length; t++)
            {
                partitionsPerTopic["t" + t] = partitionCounts[t];
            }

            var members = Enumerable.Range(0, masks.Length).Select(i => "m" + ((i * 7) % 10)).Distinct().ToList();
            var owned = members.ToDictionary(m => m, _ => new List<TopicPartition>());
            int index = 0;
            for (int t = 0; t < partitionCounts.Length; t++)
            {
                for (int p = 0; p < partitionCounts[t]; p++, index++)
                {
                    if (owners[index] >= 0 && owners[index] < members.Count)
                    {
                        owned[members[owners[index]]].Add(Tp("t" + t, p));
                    }

                    if (secondOwners[index] >= 0 && secondOwners[index] < members.Count && secondOwners[index] != owners[index])
                    {
                        owned[members[secondOwners[index]]].Add(Tp("t" + t, p));
                    }
                }
            }

            var subscriptions = new Dictionary<string, Subscription>();
            var usedStaticIds = new HashSet<string>();
            for (int i = 0; i < members.Count; i++)
            {
                var topics = new List<string>();
                for (int bit = 0; bit <= partitionCounts.Length; bit++)
                {
                    if ((masks[i] & (1 << bit)) != 0)
                    {
                        topics.Add(bit == partitionCounts.Length ? "missing" : "t" + bit);
                    }
                }

                string? staticId = staticIds[i] is { } id && usedStaticIds.Add(id) ? id : null;
                subscriptions[members[i]] = new Subscription(topics, owned[members[i]], generations[i], staticId);
            }

            return new Scenario(partitionsPerTopic, subscriptions, seed);
        }

        public override string ToString() =>
            "partitions: " + string.Join(", ", PartitionsPerTopic.Select(e => $"{e.Key}={e.Value}")) + "; members: " +
            string.Join("; ", Subscriptions.Select(e =>
                $"{e.Key}[{e.Value.GroupInstanceId}] gen {e.Value.Generation} topics {string.Join(",", e.Value.Topics)} owns {string.Join(",", e.Value.OwnedPartitions ?? Array.Empty<TopicPartition>())}"));
    }
}
