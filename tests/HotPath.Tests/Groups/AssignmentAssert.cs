using HotPath.Groups;

namespace HotPath.Tests.Groups;

/// <summary>Builders and checks shared by the assignor tests (Kafka's test helpers, ported).</summary>
internal static class AssignmentAssert
{
    public static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    public static List<TopicPartition> PartitionList(params TopicPartition[] partitions) => new(partitions);

    public static List<string> TopicList(params string[] topics) => new(topics);

    public static Subscription Sub(params string[] topics) => new(topics);

    public static Subscription Owned(IEnumerable<string> topics, IEnumerable<TopicPartition> owned, int generation = -1) =>
        new(topics.ToList(), owned.ToList(), generation);

    /// <summary>Asserts the member's list equals <paramref name="expected"/> in order.</summary>
    public static void Equal(IEnumerable<TopicPartition> expected, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment, string member) =>
        Assert.Equal(expected.ToList(), assignment[member].ToList());

    /// <summary>Asserts the member's list holds <paramref name="expected"/> in any order.</summary>
    public static void SetEqual(IEnumerable<TopicPartition> expected, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment, string member) =>
        Assert.Equal(expected.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition), assignment[member].OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition));

    /// <summary>Every member is present, gets only subscribed topics, and no partition is given twice.</summary>
    public static void Valid(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        Assert.Equal(subscriptions.Keys.OrderBy(k => k, StringComparer.Ordinal), assignment.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var seen = new HashSet<TopicPartition>();
        foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            foreach (TopicPartition partition in partitions)
            {
                Assert.True(subscriptions[member].Topics.Contains(partition.Topic), $"{member} got {partition} of a topic it does not subscribe to");
                Assert.True(partitionsPerTopic.TryGetValue(partition.Topic, out int count) && partition.Partition >= 0 && partition.Partition < count, $"{partition} does not exist");
                Assert.True(seen.Add(partition), $"{partition} is assigned twice");
            }
        }
    }

    /// <summary>Every partition of a subscribed, existing topic is assigned.</summary>
    public static void Complete(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        var assigned = assignment.Values.SelectMany(p => p).ToHashSet();
        foreach (string topic in subscriptions.Values.SelectMany(s => s.Topics).Distinct())
        {
            if (!partitionsPerTopic.TryGetValue(topic, out int count))
            {
                continue;
            }

            for (int p = 0; p < count; p++)
            {
                Assert.True(assigned.Contains(Tp(topic, p)), $"{topic}-{p} is not assigned");
            }
        }
    }

    /// <summary>
    /// Kafka's <c>verifyValidityAndBalance</c>: valid, and two members whose counts differ by more than one share no
    /// topic in their assignments (else a partition could have moved to balance them).
    /// </summary>
    public static void ValidAndBalanced(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        Valid(partitionsPerTopic, subscriptions, assignment);
        List<string> members = assignment.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        for (int i = 0; i < members.Count; i++)
        {
            for (int j = i + 1; j < members.Count; j++)
            {
                IReadOnlyList<TopicPartition> a = assignment[members[i]];
                IReadOnlyList<TopicPartition> b = assignment[members[j]];
                if (Math.Abs(a.Count - b.Count) <= 1)
                {
                    continue;
                }

                var topicsOfB = b.Select(p => p.Topic).ToHashSet();
                foreach (TopicPartition partition in a)
                {
                    Assert.False(topicsOfB.Contains(partition.Topic), $"{members[i]} ({a.Count}) and {members[j]} ({b.Count}) share topic {partition.Topic}: unbalanced");
                }
            }
        }
    }

    public static bool FullyBalanced(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment) =>
        assignment.Count == 0 || assignment.Values.Max(p => p.Count) - assignment.Values.Min(p => p.Count) <= 1;

    /// <summary>
    /// Kafka's cooperative verification: no partition is revoked from one member and added to another in the same
    /// rebalance (and, stricter, <see cref="NoPartitionTakenFromItsOwner"/>); while partitions are revoked, rebalance again with the result as owned partitions, all members in a new generation (at most 4 times).
    /// Returns the final assignment and leaves the final subscriptions in <paramref name="subscriptions"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> SettleCooperative(
        IPartitionAssignor assignor,
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        Dictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        int rebalances = 0;
        while (RevokesAndChecksNoHandover(subscriptions, assignment))
        {
            // After a rebalance every member is in the new generation and owns what it was given.
            int generation = subscriptions.Values.Max(s => s.Generation) + 1;
            foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
            {
                Subscription old = subscriptions[member];
                subscriptions[member] = old with { OwnedPartitions = partitions.ToList(), Generation = generation };
            }

            assignment = assignor.Assign(partitionsPerTopic, subscriptions);
            rebalances++;
            Assert.True(rebalances <= 4, "the cooperative assignment did not settle within 4 rebalances");
        }

        ValidAndBalanced(partitionsPerTopic, subscriptions, assignment);
        return assignment;
    }

    /// <summary>
    /// Each partition's owner by the generation rule: the one member that claims it at the highest generation among its
    /// claimers (any generation, -1 included); null when two or more members claim it at that generation.
    /// </summary>
    public static Dictionary<TopicPartition, string?> EffectiveOwners(IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        var best = new Dictionary<TopicPartition, (int Generation, List<string> Members)>();
        foreach ((string member, Subscription subscription) in subscriptions)
        {
            foreach (TopicPartition partition in (subscription.OwnedPartitions ?? Array.Empty<TopicPartition>()).Distinct())
            {
                if (!best.TryGetValue(partition, out var current) || subscription.Generation > current.Generation)
                {
                    best[partition] = (subscription.Generation, new List<string> { member });
                }
                else if (subscription.Generation == current.Generation)
                {
                    current.Members.Add(member);
                }
            }
        }

        return best.ToDictionary(e => e.Key, e => e.Value.Members.Count == 1 ? e.Value.Members[0] : null);
    }

    /// <summary>
    /// The cooperative safety rule: a member may be given a partition that another member reports owning only when it
    /// is that partition's owner by the generation rule (the others' claims are stale). Otherwise the partition must
    /// first be revoked by every member that reports it, so that no two members ever read it at once.
    /// </summary>
    public static void NoPartitionTakenFromItsOwner(
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        Dictionary<TopicPartition, string?> owners = EffectiveOwners(subscriptions);
        foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            foreach (TopicPartition partition in partitions)
            {
                var otherClaimers = subscriptions.Where(s => s.Key != member && (s.Value.OwnedPartitions?.Contains(partition) ?? false)).Select(s => s.Key).ToList();
                if (otherClaimers.Count == 0)
                {
                    continue;
                }

                string? owner = owners[partition];
                Assert.True(owner == member, $"{partition} given to {member} while {string.Join(",", otherClaimers)} report owning it (owner by generation: {owner ?? "none"})");
            }
        }
    }

    private static bool RevokesAndChecksNoHandover(
        IReadOnlyDictionary<string, Subscription> subscriptions,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        NoPartitionTakenFromItsOwner(subscriptions, assignment);
        var added = new HashSet<TopicPartition>();
        var revoked = new HashSet<TopicPartition>();
        foreach ((string member, IReadOnlyList<TopicPartition> partitions) in assignment)
        {
            IReadOnlyList<TopicPartition> owned = subscriptions[member].OwnedPartitions ?? Array.Empty<TopicPartition>();
            revoked.UnionWith(owned.Except(partitions));
            added.UnionWith(partitions.Except(owned));
        }

        added.IntersectWith(revoked);
        Assert.True(added.Count == 0, "partitions revoked and reassigned in the same rebalance: " + string.Join(", ", added));
        return revoked.Count > 0;
    }
}
