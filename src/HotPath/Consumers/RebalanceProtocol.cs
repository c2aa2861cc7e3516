namespace HotPath.Consumers;

/// <summary>How a group moves partitions between members (Kafka's rebalance protocols).</summary>
public enum RebalanceProtocol
{
    /// <summary>
    /// Every member gives up every partition, then the assignor runs on an empty slate: simple, but the whole
    /// group pauses for the rebalance. Kafka's protocol for the range and round-robin assignors.
    /// </summary>
    Eager = 0,

    /// <summary>
    /// Members keep the partitions that stay theirs and keep handling them; only partitions that move are
    /// revoked, then handed over in a follow-up rebalance (KIP-429). Needs an assignor that leaves moving
    /// partitions out of its result, such as <see cref="Groups.CooperativeStickyAssignor"/>.
    /// </summary>
    Cooperative = 1,
}
