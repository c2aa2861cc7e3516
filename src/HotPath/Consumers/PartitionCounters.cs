namespace HotPath.Consumers;

/// <summary>
/// Counters of one group on one partition. Written only by the member that owns the partition (ownership moves
/// through the coordinator's lock, which orders the writes of consecutive owners); read from any thread.
/// </summary>
/// <remarks>
/// Each write is a release of the owner's own value (no read-modify-write atomics), each read an acquire: a
/// monitor sees a value that was true at some point. A fenced member may race one last increment with the new
/// owner (benign: these are statistics, never used for correctness).
/// </remarks>
internal sealed class PartitionCounters
{
    private long _handled;
    private long _retried;
    private long _deadLettered;
    private long _skipped;

    public long Handled => Volatile.Read(ref _handled);

    public long Retried => Volatile.Read(ref _retried);

    public long DeadLettered => Volatile.Read(ref _deadLettered);

    public long Skipped => Volatile.Read(ref _skipped);

    public void AddHandled(int count) => Volatile.Write(ref _handled, _handled + count);

    public void AddRetried() => Volatile.Write(ref _retried, _retried + 1);

    public void AddDeadLettered() => Volatile.Write(ref _deadLettered, _deadLettered + 1);

    public void AddSkipped() => Volatile.Write(ref _skipped, _skipped + 1);
}
