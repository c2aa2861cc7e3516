using System.Diagnostics;

namespace HotPath.Partitions;

/// <summary>
/// The trace context a publisher left for the event at <see cref="Offset"/>, kept beside its slot (see
/// <see cref="PartitionTracing"/>): the offset tells a current entry from the previous occupant's.
/// </summary>
/// <param name="Offset">The offset the context belongs to.</param>
/// <param name="Context">The publisher's trace context.</param>
internal readonly record struct TraceSlot(long Offset, ActivityContext Context);
