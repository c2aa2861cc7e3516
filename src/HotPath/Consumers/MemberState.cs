namespace HotPath.Consumers;

/// <summary>The life cycle of a group member.</summary>
public enum MemberState
{
    /// <summary>Handling the events of its partitions (or idle with none).</summary>
    Running = 0,

    /// <summary>Its handler threw; its partitions were moved to the other members. See <see cref="GroupMember{T}.Fault"/>.</summary>
    Faulted = 1,

    /// <summary>It missed a rebalance deadline and was fenced: it may no longer handle or commit.</summary>
    Failed = 2,

    /// <summary>It left the group.</summary>
    Stopped = 3,
}
