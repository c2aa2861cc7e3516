namespace HotPath.Durability;

/// <summary>What <see cref="OffsetStore.Open"/> found in <c>offsets.log</c>.</summary>
/// <param name="Path">The file read.</param>
/// <param name="RecordsRead">The whole records (frames) read.</param>
/// <param name="LiveEntries">The (group, partition) pairs with a committed offset after reading.</param>
/// <param name="TornBytes">The bytes of a torn tail truncated, 0 when there was none.</param>
/// <param name="TornPosition">Where the torn tail began (the new file length), or -1.</param>
/// <param name="TornReason">Why the bytes at <paramref name="TornPosition"/> are not a record, or null.</param>
/// <param name="StaleCompactionDeleted">True when a compaction's side file, left by a crash before its rename, was deleted.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed record OffsetRecovery(
    string Path, int RecordsRead, int LiveEntries, long TornBytes, long TornPosition, string? TornReason, bool StaleCompactionDeleted)
{
    /// <summary>True when a torn tail was truncated.</summary>
    public bool TruncatedTornTail => TornBytes > 0;

    /// <summary>One human line, e.g. "offsets 'x/offsets.log': 12 records read, 5 live entries, no torn tail".</summary>
    public override string ToString()
    {
        string tail = TruncatedTornTail
            ? $"truncated a torn tail of {TornBytes} bytes at byte {TornPosition} ({TornReason})"
            : "no torn tail";
        string stale = StaleCompactionDeleted ? "; deleted an unfinished compaction file" : "";
        return $"offsets '{Path}': {RecordsRead} records read, {LiveEntries} live entries, {tail}{stale}";
    }
}
