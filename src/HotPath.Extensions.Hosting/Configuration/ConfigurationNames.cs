using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Groups;
using HotPath.Partitioning;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>
/// The names configuration uses for the option values that are objects or enums. Explicit tables, not
/// <c>Enum.Parse</c>: a number is not a name (<c>"PublishMode": "7"</c> is refused, not cast), and nothing is reflected.
/// </summary>
/// <remarks>Thread-safety: immutable; any thread.</remarks>
internal static class ConfigurationNames
{
    /// <summary>Partitioners by <see cref="Partitioner.Name"/>.</summary>
    public static readonly KeyValuePair<string, Partitioner>[] Partitioners =
        [new(Partitioner.XxHash3.Name, Partitioner.XxHash3), new(Partitioner.Kafka.Name, Partitioner.Kafka)];

    /// <summary>Wait strategies by the name of their <see cref="WaitStrategy"/> property.</summary>
    public static readonly KeyValuePair<string, WaitStrategy>[] WaitStrategies =
    [
        new(nameof(WaitStrategy.Blocking), WaitStrategy.Blocking),
        new(nameof(WaitStrategy.SpinThenSleep), WaitStrategy.SpinThenSleep),
        new(nameof(WaitStrategy.Yielding), WaitStrategy.Yielding),
        new(nameof(WaitStrategy.BusySpin), WaitStrategy.BusySpin),
    ];

    /// <summary>Assignor factories by Kafka's name (<see cref="IPartitionAssignor.Name"/>): each group gets its own instance.</summary>
    public static readonly KeyValuePair<string, Func<IPartitionAssignor>>[] Assignors =
    [
        new(new CooperativeStickyAssignor().Name, static () => new CooperativeStickyAssignor()),
        new(new RangeAssignor().Name, static () => new RangeAssignor()),
        new(new RoundRobinAssignor().Name, static () => new RoundRobinAssignor()),
    ];

    /// <summary>The names of <see cref="PublishMode"/>.</summary>
    public static readonly KeyValuePair<string, PublishMode>[] PublishModes =
        [new(nameof(PublishMode.MultiWriter), PublishMode.MultiWriter), new(nameof(PublishMode.SingleWriter), PublishMode.SingleWriter)];

    /// <summary>The names of <see cref="SyncPolicy"/>.</summary>
    public static readonly KeyValuePair<string, SyncPolicy>[] SyncPolicies =
        [new(nameof(SyncPolicy.None), SyncPolicy.None), new(nameof(SyncPolicy.Interval), SyncPolicy.Interval), new(nameof(SyncPolicy.EveryBatch), SyncPolicy.EveryBatch)];

    /// <summary>The names of <see cref="OffsetReset"/>.</summary>
    public static readonly KeyValuePair<string, OffsetReset>[] OffsetResets =
        [new(nameof(OffsetReset.Earliest), OffsetReset.Earliest), new(nameof(OffsetReset.Latest), OffsetReset.Latest)];

    /// <summary>The names of <see cref="RebalanceProtocol"/>.</summary>
    public static readonly KeyValuePair<string, RebalanceProtocol>[] Protocols =
        [new(nameof(RebalanceProtocol.Eager), RebalanceProtocol.Eager), new(nameof(RebalanceProtocol.Cooperative), RebalanceProtocol.Cooperative)];

    /// <summary>The names of <see cref="CommitMode"/>.</summary>
    public static readonly KeyValuePair<string, CommitMode>[] CommitModes =
        [new(nameof(CommitMode.AfterBatch), CommitMode.AfterBatch), new(nameof(CommitMode.Manual), CommitMode.Manual)];

    /// <summary>The names of <see cref="IsolationLevel"/>.</summary>
    public static readonly KeyValuePair<string, IsolationLevel>[] IsolationLevels =
        [new(nameof(IsolationLevel.ReadCommitted), IsolationLevel.ReadCommitted), new(nameof(IsolationLevel.ReadUncommitted), IsolationLevel.ReadUncommitted)];

    /// <summary>The names of <see cref="ErrorAction"/>.</summary>
    public static readonly KeyValuePair<string, ErrorAction>[] ErrorActions =
    [
        new(nameof(ErrorAction.StopMember), ErrorAction.StopMember),
        new(nameof(ErrorAction.Skip), ErrorAction.Skip),
        new(nameof(ErrorAction.DeadLetter), ErrorAction.DeadLetter),
    ];
}
