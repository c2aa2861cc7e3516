namespace HotPath.Groups;

/// <summary>
/// Port of Kafka's <c>AbstractStickyAssignor.constrainedAssign</c>, used when every member subscribes to the same
/// topics.
/// </summary>
/// <remarks>
/// With <c>P</c> partitions and <c>N</c> members, <c>minQuota = P / N</c>, <c>maxQuota = ceil(P / N)</c> and exactly
/// <c>P % N</c> members end with <c>maxQuota</c>. Steps:
/// <list type="number">
/// <item>In Kafka's member iteration order, each member keeps its owned partitions, sorted by partition index and then
/// topic: all of them when it owns fewer than <c>minQuota</c>; the first <c>maxQuota</c> while fewer than <c>P % N</c>
/// members were allowed that many; otherwise the first <c>minQuota</c>. The rest are revoked.</item>
/// <item>The unassigned partitions (sorted by topic, partition) go round-robin to the members under <c>minQuota</c>
/// (sorted by member id), then one each to the members at exactly <c>minQuota</c> until <c>P % N</c> members hold
/// <c>maxQuota</c>.</item>
/// </list>
/// Kafka also records here which partitions change owner (revoked from one member, or claimed by several, and given to
/// another); <see cref="CooperativeStickyAssignor"/> computes that set once for both algorithms, with the same
/// outcome. Thread-safety: single-use, one thread.
/// </remarks>
internal sealed class ConstrainedStickyAssignment
{
    private static readonly Comparison<TopicPartition> s_byPartitionThenTopic = (a, b) =>
        a.Partition != b.Partition ? a.Partition.CompareTo(b.Partition) : string.CompareOrdinal(a.Topic, b.Topic);

    /// <summary>Runs the assignment.</summary>
    public Dictionary<string, List<TopicPartition>> Assign(AssignmentRequest request, StickyOwnership ownership)
    {
        int numberOfConsumers = ownership.MembersInMapOrder.Count;
        var assignment = new Dictionary<string, List<TopicPartition>>(numberOfConsumers, StringComparer.Ordinal);
        if (numberOfConsumers == 0)
        {
            return assignment;
        }

        int totalPartitionsCount = 0;
        foreach (int count in request.PartitionsPerTopic.Values)
        {
            totalPartitionsCount += count;
        }

        int minQuota = totalPartitionsCount / numberOfConsumers;
        int maxQuota = (totalPartitionsCount + numberOfConsumers - 1) / numberOfConsumers;
        int expectedNumMembersWithOverMinQuota = totalPartitionsCount % numberOfConsumers;
        int currentNumMembersWithOverMinQuota = 0;

        var unfilledUnderMinQuota = new List<string>();
        var unfilledExactlyMinQuota = new List<string>();
        var assignedPartitions = new HashSet<TopicPartition>();

        foreach (string consumer in ownership.MembersInMapOrder)
        {
            // Lowest partition index first, then topic (KAFKA-16277): a member that must give partitions up keeps some of
            // each topic rather than whole topics, so the topics stay spread over the members.
            var owned = new List<TopicPartition>(ownership.OwnedByMember[consumer]);
            owned.Sort(s_byPartitionThenTopic);
            var consumerAssignment = new List<TopicPartition>(maxQuota);
            assignment.Add(consumer, consumerAssignment);

            if (owned.Count < minQuota)
            {
                consumerAssignment.AddRange(owned);
                assignedPartitions.UnionWith(owned);
                unfilledUnderMinQuota.Add(consumer);
            }
            else if (owned.Count >= maxQuota && currentNumMembersWithOverMinQuota < expectedNumMembersWithOverMinQuota)
            {
                currentNumMembersWithOverMinQuota++;
                if (currentNumMembersWithOverMinQuota == expectedNumMembersWithOverMinQuota)
                {
                    unfilledExactlyMinQuota.Clear();
                }

                Keep(owned, maxQuota, consumerAssignment, assignedPartitions);
            }
            else
            {
                Keep(owned, minQuota, consumerAssignment, assignedPartitions);
                if (currentNumMembersWithOverMinQuota < expectedNumMembersWithOverMinQuota)
                {
                    unfilledExactlyMinQuota.Add(consumer);
                }
            }
        }

        var topics = new List<string>(request.PartitionsPerTopic.Keys);
        topics.Sort(StringComparer.Ordinal);
        var unassignedPartitions = new List<TopicPartition>(totalPartitionsCount - assignedPartitions.Count);
        foreach (string topic in topics)
        {
            int count = request.PartitionsPerTopic[topic];
            for (int p = 0; p < count; p++)
            {
                var partition = new TopicPartition(topic, p);
                if (!assignedPartitions.Contains(partition))
                {
                    unassignedPartitions.Add(partition);
                }
            }
        }

        unfilledUnderMinQuota.Sort(StringComparer.Ordinal);
        unfilledExactlyMinQuota.Sort(StringComparer.Ordinal);

        // A Java iterator over unfilledUnderMinQuota: _next is the index of the next element, remove drops the last one.
        int next = 0;
        int exactlyMinHead = 0;
        foreach (TopicPartition unassigned in unassignedPartitions)
        {
            string consumer;
            bool fromUnderMinQuota = true;
            if (next < unfilledUnderMinQuota.Count)
            {
                consumer = unfilledUnderMinQuota[next++];
            }
            else if (unfilledUnderMinQuota.Count == 0 && exactlyMinHead == unfilledExactlyMinQuota.Count)
            {
                throw new InvalidOperationException(
                    "constrained sticky assignment has no unfilled member left: unassigned partition=" + unassigned);
            }
            else if (unfilledUnderMinQuota.Count == 0)
            {
                consumer = unfilledExactlyMinQuota[exactlyMinHead++];
                fromUnderMinQuota = false;
            }
            else
            {
                next = 0;
                consumer = unfilledUnderMinQuota[next++];
            }

            List<TopicPartition> consumerAssignment = assignment[consumer];
            consumerAssignment.Add(unassigned);
            int currentAssignedCount = consumerAssignment.Count;
            if (currentAssignedCount == minQuota && fromUnderMinQuota)
            {
                unfilledUnderMinQuota.RemoveAt(--next);
                unfilledExactlyMinQuota.Add(consumer);
            }
            else if (currentAssignedCount == maxQuota)
            {
                currentNumMembersWithOverMinQuota++;
            }
        }

        foreach (string unfilled in unfilledUnderMinQuota)
        {
            if (currentNumMembersWithOverMinQuota != expectedNumMembersWithOverMinQuota || assignment[unfilled].Count != minQuota)
            {
                throw new InvalidOperationException(
                    $"constrained sticky assignment left a member under its quota: member={unfilled}, partitions={assignment[unfilled].Count}, minQuota={minQuota}");
            }
        }

        return assignment;
    }

    private static void Keep(
        List<TopicPartition> owned,
        int quota,
        List<TopicPartition> consumerAssignment,
        HashSet<TopicPartition> assignedPartitions)
    {
        // The rest of the owned partitions are revoked: they stay unassigned here and are dealt out below.
        for (int i = 0; i < owned.Count && i < quota; i++)
        {
            consumerAssignment.Add(owned[i]);
            assignedPartitions.Add(owned[i]);
        }
    }
}
