namespace HotPath.Groups;

/// <summary>
/// The owned-partition bookkeeping of Kafka's <c>AbstractStickyAssignor.allSubscriptionsEqual</c>: which members
/// subscribe to the same topics, and which previously owned partitions still count.
/// </summary>
/// <remarks>
/// Rules, as in Kafka since KAFKA-14639: a member keeps a partition it reports owning when no other member claims it,
/// whatever its generation (-1, unknown, is the lowest); of several claimers the one reporting the highest generation
/// keeps it; when two or more members claim it in that highest generation, neither keeps it (see
/// <see cref="MustWaitForRevocation"/>). Owned partitions of topics outside the request are dropped (and
/// here also partition indexes the topic does not have). Unlike Kafka, whose outcome for three or more claimers depends
/// on hash-map order (a newer claimer can win a partition already marked as doubly claimed, or not), the result does
/// not depend on member order, and a member that lists a partition twice still owns it.
/// Thread-safety: built and used by one call on one thread; not shared.
/// </remarks>
internal sealed class StickyOwnership
{
    private StickyOwnership(
        List<string> membersInMapOrder,
        Dictionary<TopicPartition, (int Generation, string? Owner)> claims,
        Dictionary<string, List<TopicPartition>> ownedByMember,
        bool allSubscriptionsEqual,
        int maxGeneration)
    {
        MembersInMapOrder = membersInMapOrder;
        _claims = claims;
        OwnedByMember = ownedByMember;
        AllSubscriptionsEqual = allSubscriptionsEqual;
        MaxGeneration = maxGeneration;
    }

    private readonly Dictionary<TopicPartition, (int Generation, string? Owner)> _claims;

    /// <summary>Member ids in the iteration order of Kafka's member-keyed hash maps.</summary>
    public List<string> MembersInMapOrder { get; }

    /// <summary>Each member's owned partitions that it keeps by the generation rules, in the member's own order.</summary>
    public Dictionary<string, List<TopicPartition>> OwnedByMember { get; }

    /// <summary>True when every member subscribes to the same set of topics.</summary>
    public bool AllSubscriptionsEqual { get; }

    /// <summary>The highest generation any member reports (-1 when none does); older claims feed the previous owners.</summary>
    public int MaxGeneration { get; }

    /// <summary>Computes the ownership view of <paramref name="request"/>.</summary>
    public static StickyOwnership Create(AssignmentRequest request)
    {
        List<string> members = JavaHashOrder.Members(request.MemberIds);

        bool allEqual = true;
        HashSet<string>? first = null;
        int maxGeneration = -1;
        foreach (string member in members)
        {
            HashSet<string> topics = request.TopicsByMember[member];
            if (first is null)
            {
                first = topics;
            }
            else if (allEqual && !first.SetEquals(topics))
            {
                allEqual = false;
            }

            maxGeneration = Math.Max(maxGeneration, request.Subscriptions[member].Generation);
        }

        // Per partition: the highest generation that claims it, and the one member claiming it there (null if several).
        var claims = new Dictionary<TopicPartition, (int Generation, string? Owner)>();
        foreach (string member in members)
        {
            Subscription subscription = request.Subscriptions[member];
            if (subscription.OwnedPartitions is null)
            {
                continue;
            }

            int generation = subscription.Generation;
            foreach (TopicPartition partition in subscription.OwnedPartitions)
            {
                if (!request.Exists(partition))
                {
                    continue;
                }

                if (!claims.TryGetValue(partition, out var best) || generation > best.Generation)
                {
                    claims[partition] = (generation, member);
                }
                else if (generation == best.Generation && !string.Equals(best.Owner, member, StringComparison.Ordinal))
                {
                    // Two owners in the same generation: neither keeps it (Kafka logs this as an error).
                    claims[partition] = (generation, null);
                }
            }
        }

        var owned = new Dictionary<string, List<TopicPartition>>(members.Count, StringComparer.Ordinal);
        var kept = new HashSet<TopicPartition>();
        foreach (string member in members)
        {
            var list = new List<TopicPartition>();
            owned.Add(member, list);
            IReadOnlyList<TopicPartition>? reported = request.Subscriptions[member].OwnedPartitions;
            if (reported is null)
            {
                continue;
            }

            foreach (TopicPartition partition in reported)
            {
                if (claims.TryGetValue(partition, out var best)
                    && string.Equals(best.Owner, member, StringComparison.Ordinal) && kept.Add(partition))
                {
                    list.Add(partition);
                }
            }
        }

        return new StickyOwnership(members, claims, owned, allEqual, maxGeneration);
    }

    /// <summary>
    /// True when some member reports owning <paramref name="partition"/> and <paramref name="member"/> is not its owner
    /// by the generation rules: handing it to <paramref name="member"/> now would let two members read it at once, so
    /// the cooperative protocol must first have every claimer revoke it.
    /// </summary>
    public bool MustWaitForRevocation(TopicPartition partition, string member) =>
        _claims.TryGetValue(partition, out var best) && !string.Equals(best.Owner, member, StringComparison.Ordinal);
}
