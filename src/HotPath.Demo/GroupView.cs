using HotPath.Consumers;

namespace HotPath.Demo;

/// <summary>One group in the live view: the library's own counters, not the handlers' records.</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="Lossy">True for a lossy group.</param>
/// <param name="Rebalances">Rebalances so far.</param>
/// <param name="Partitions">Per partition: owner, handled, lag, lost.</param>
/// <param name="Note">What the view says of the group under the table (e.g. that analytics is slow on purpose), or null.</param>
internal sealed record GroupView(string GroupId, bool Lossy, long Rebalances, IReadOnlyList<PartitionStats> Partitions, string? Note = null);
