namespace HotPath.Partitions;

/// <summary>Who may publish into a partition, which decides how offsets are claimed.</summary>
/// <remarks>
/// Pick <see cref="SingleWriter"/> when you can guarantee that one thread at a time publishes into each
/// partition (for keyed or keyless routing through <c>Topic</c>: one thread at a time for the whole topic):
/// claiming an offset is then a plain increment with no atomic instruction. Pick <see cref="MultiWriter"/>
/// when any thread may publish: offsets are claimed with a compare-and-swap and published per slot, so
/// readers see events in offset order even when writers finish out of order. Breaking the single-writer
/// promise corrupts the partition silently (two events with one offset): when in doubt, use MultiWriter.
/// <para>A multi-writer partition is biased towards the first thread that publishes into it: as long as no other
/// thread has published there, that thread claims without a compare-and-swap, nearly at the single writer's cost. The
/// first publish from a second thread revokes the bias (once, about a microsecond: a process-wide memory barrier) and
/// from then on every writer uses the compare-and-swap. A thread-pool continuation that publishes counts as another
/// thread.</para>
/// </remarks>
public enum PublishMode
{
    /// <summary>Any thread may publish; offsets are claimed with compare-and-swap. The default.</summary>
    MultiWriter = 0,

    /// <summary>The caller guarantees one publishing thread at a time per partition; no atomic read-modify-write.</summary>
    SingleWriter = 1,
}
