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
/// Generations (Kafka's rules since KAFKA-14639): a member owns a partition it reports when no other member reports
/// it, whatever its <see cref="Subscription.Generation"/>; of several members reporting the same partition, the one
/// with the highest generation owns it; two or more reporting it in that highest generation all lose it. With equal
/// subscriptions a member over its quota keeps its partitions lowest partition index first (KAFKA-16277), so that each
/// topic stays spread over the members.
/// </para>
/// <para>
/// Cooperative rule: a partition that some member reports owning is left out of this result when it goes to a member
/// that is not its owner by those rules. Every member reporting it revokes it first (its result no longer holds it);
/// a follow-up rebalance, with the new ownership, hands it to its new member. So the result may leave partitions
/// unassigned, and only the follow-up result is complete. This equals Kafka's partitionsTransferringOwnership when
/// every member subscribes to the same topics. Otherwise Kafka compares the members' raw reports and lets a member that
/// reports a partition take it at once even when that report is stale or doubled while another member gives it up;
/// here it waits, so that no two members ever read a partition at once.
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

        Dictionary<string, List<TopicPartition>> assignment = ownership.AllSubscriptionsEqual
            ? new ConstrainedStickyAssignment().Assign(request, ownership)
            : new GeneralStickyAssignment().Assign(request, ownership);

        // The cooperative adjustment: a partition that another member reports owning is left out unless its new member
        // is its owner by the generation rules; it is handed over in the follow-up rebalance, once every claimer revoked it.
        foreach (KeyValuePair<string, List<TopicPartition>> entry in assignment)
        {
            string member = entry.Key;
            entry.Value.RemoveAll(partition => ownership.MustWaitForRevocation(partition, member));
        }

        return request.ToResult(assignment);
    }
}
