namespace HotPath.Groups;

/// <summary>
/// The owned-partition bookkeeping of Kafka's <c>AbstractStickyAssignor.allSubscriptionsEqual</c>: which members
/// subscribe to the same topics, and which previously owned partitions still count.
/// </summary>
/// <remarks>
/// Rules, as in Kafka: only members of the highest generation in the group keep their owned partitions (a member
/// with generation -1 counts only when nobody reports a generation); owned partitions of topics outside the request
/// are dropped (and here also partition indexes the topic does not have); a partition claimed by two members of that
/// generation is owned by neither and recorded in <see cref="PartitionsWithMultiplePreviousOwners"/>.
/// Thread-safety: built and used by one call on one thread; not shared.
/// </remarks>
internal sealed class StickyOwnership
{
    private StickyOwnership(
        List<string> membersInMapOrder,
        Dictionary<string, List<TopicPartition>> ownedByMember,
        HashSet<TopicPartition> partitionsWithMultiplePreviousOwners,
        bool allSubscriptionsEqual,
        int maxGeneration)
    {
        MembersInMapOrder = membersInMapOrder;
        OwnedByMember = ownedByMember;
        PartitionsWithMultiplePreviousOwners = partitionsWithMultiplePreviousOwners;
        AllSubscriptionsEqual = allSubscriptionsEqual;
        MaxGeneration = maxGeneration;
    }

    /// <summary>Member ids in the iteration order of Kafka's member-keyed hash maps.</summary>
    public List<string> MembersInMapOrder { get; }

    /// <summary>Each member's still-valid owned partitions, in the member's own order.</summary>
    public Dictionary<string, List<TopicPartition>> OwnedByMember { get; }

    /// <summary>Partitions claimed by more than one member of the highest generation.</summary>
    public HashSet<TopicPartition> PartitionsWithMultiplePreviousOwners { get; }

    /// <summary>True when every member subscribes to the same set of topics.</summary>
    public bool AllSubscriptionsEqual { get; }

    /// <summary>The highest generation any member reports (-1 when none does).</summary>
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

        var owned = new Dictionary<string, List<TopicPartition>>(members.Count, StringComparer.Ordinal);
        var multiple = new HashSet<TopicPartition>();
        var previousOwner = new Dictionary<TopicPartition, string>();
        foreach (string member in members)
        {
            var list = new List<TopicPartition>();
            owned.Add(member, list);
            Subscription subscription = request.Subscriptions[member];
            if (subscription.Generation != maxGeneration || subscription.OwnedPartitions is null)
            {
                continue;
            }

            foreach (TopicPartition partition in subscription.OwnedPartitions)
            {
                if (!request.Exists(partition))
                {
                    continue;
                }

                if (previousOwner.TryGetValue(partition, out string? other))
                {
                    // Two owners in the same generation: neither keeps it (Kafka logs this as an error).
                    owned[other].Remove(partition);
                    multiple.Add(partition);
                }
                else
                {
                    list.Add(partition);
                }

                previousOwner[partition] = member;
            }
        }

        return new StickyOwnership(members, owned, multiple, allEqual, maxGeneration);
    }
}
