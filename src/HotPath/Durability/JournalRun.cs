namespace HotPath.Durability;

/// <summary>
/// What <see cref="PartitionJournal.Read"/> found: <paramref name="Count"/> offsets from <paramref name="First"/>, all
/// from one batch, either events (copied to the caller's buffer) or a gap (offsets that hold no event).
/// </summary>
/// <param name="First">The first offset of the run (the offset asked for).</param>
/// <param name="Count">The offsets in the run, at least 1.</param>
/// <param name="IsGap">True when the offsets hold no event; nothing was copied.</param>
internal readonly record struct JournalRun(long First, int Count, bool IsGap)
{
    /// <summary>The offset after the run's last one.</summary>
    public long End => First + Count;
}
