namespace HotPath.Groups;

/// <summary>
/// Kafka's <c>cooperative-sticky</c> assignor: the sticky algorithm of Kafka's <c>AbstractStickyAssignor</c> with the
/// incremental (cooperative, KIP-429) adjustment.
/// </summary>
/// <remarks>
/// <para>
/// The assignment is as balanced as possible while keeping as many owned partitions as possible in place. When every
/// member subscribes to the same topics the constrained algorithm runs: each member keeps its owned partitions up to
/// its quota and counts end within one of each other. Otherwise the general algorithm keeps owned partitions and moves
/// partitions only while that improves balance.
/// </para>
/// <para>
/// Owned partitions count only for members of the highest <see cref="Subscription.Generation"/> in the group; a
/// partition claimed by two such members counts as owned by both for the revocation rule and by neither for keeping.
/// </para>
/// <para>
/// Cooperative rule: a partition that moves away from a member that currently owns it is left out of this result.
/// The owner revokes it first; a follow-up rebalance, with the new ownership, hands it to its new member. So the
/// result may leave partitions unassigned, and only the follow-up result is complete.
/// </para>
/// Thread-safety: stateless; <see cref="Assign"/> may be called from several threads at once.
/// </remarks>
public sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "cooperative-sticky";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        var request = AssignmentRequest.Create(partitionsPerTopic, subscriptions);
        var ownership = StickyOwnership.Create(request);

        Dictionary<string, List<TopicPartition>> assignment;
        IReadOnlyDictionary<TopicPartition, string> transferring;
        if (ownership.AllSubscriptionsEqual)
        {
            var constrained = new ConstrainedStickyAssignment();
            assignment = constrained.Assign(request, ownership);
            transferring = constrained.PartitionsTransferringOwnership;
        }
        else
        {
            assignment = new GeneralStickyAssignment().Assign(request, ownership);
            transferring = ComputePartitionsTransferringOwnership(request, ownership, assignment);
        }

        foreach (KeyValuePair<TopicPartition, string> entry in transferring)
        {
            assignment[entry.Value].Remove(entry.Key);
        }

        return request.ToResult(assignment);
    }

    /// <summary>
    /// Partitions assigned to a member that did not own them while some member reports owning and losing them, as
    /// Kafka computes them from the raw owned partitions whatever their generation; plus, unlike Kafka, a partition
    /// given to a member with a stale claim on it while a member of the highest generation owns it (Kafka would hand
    /// it over in the same rebalance because the stale claimer looks like an owner).
    /// </summary>
    private static Dictionary<TopicPartition, string> ComputePartitionsTransferringOwnership(
        AssignmentRequest request,
        StickyOwnership ownership,
        Dictionary<string, List<TopicPartition>> assignment)
    {
        var currentOwners = new Dictionary<TopicPartition, HashSet<string>>();
        foreach (string member in request.MemberIds)
        {
            Subscription subscription = request.Subscriptions[member];
            if (subscription.Generation != ownership.MaxGeneration || subscription.OwnedPartitions is null)
            {
                continue;
            }

            foreach (TopicPartition partition in subscription.OwnedPartitions)
            {
                if (!currentOwners.TryGetValue(partition, out HashSet<string>? owners))
                {
                    owners = new HashSet<string>(StringComparer.Ordinal);
                    currentOwners.Add(partition, owners);
                }

                owners.Add(member);
            }
        }

        var allAddedPartitions = new Dictionary<TopicPartition, string>();
        var allRevokedPartitions = new HashSet<TopicPartition>();
        foreach (KeyValuePair<string, List<TopicPartition>> entry in assignment)
        {
            IReadOnlyList<TopicPartition> owned = request.Subscriptions[entry.Key].OwnedPartitions ?? Array.Empty<TopicPartition>();
            var ownedSet = new HashSet<TopicPartition>(owned);
            foreach (TopicPartition partition in entry.Value)
            {
                if (!ownedSet.Contains(partition))
                {
                    allAddedPartitions[partition] = entry.Key;
                }
                else if (currentOwners.TryGetValue(partition, out HashSet<string>? owners) && !owners.Contains(entry.Key))
                {
                    // A stale claim: the current owner must revoke it first.
                    allAddedPartitions[partition] = entry.Key;
                    allRevokedPartitions.Add(partition);
                }
            }

            var assignedSet = new HashSet<TopicPartition>(entry.Value);
            foreach (TopicPartition partition in owned)
            {
                if (!assignedSet.Contains(partition))
                {
                    allRevokedPartitions.Add(partition);
                }
            }
        }

        var transferring = new Dictionary<TopicPartition, string>();
        foreach (KeyValuePair<TopicPartition, string> entry in allAddedPartitions)
        {
            if (allRevokedPartitions.Contains(entry.Key))
            {
                transferring.Add(entry.Key, entry.Value);
            }
        }

        return transferring;
    }
}
