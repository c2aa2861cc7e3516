using System.Globalization;

namespace HotPath.Durability;

/// <summary>What <see cref="PartitionJournal.Open"/> found in the partition directory and what it repaired.</summary>
/// <param name="SegmentCount">The segments kept.</param>
/// <param name="StartOffset">The first offset kept.</param>
/// <param name="EndOffset">The offset after the last whole batch: where appends continue.</param>
/// <param name="TruncatedBytes">The bytes cut off (or deleted) as a torn tail; 0 when the tail was whole.</param>
/// <param name="TruncatedFile">The file that was cut or deleted, or null.</param>
/// <param name="TruncatedAt">The byte position in <paramref name="TruncatedFile"/> where the cut was made (0 for a deleted file).</param>
/// <param name="TruncationReason">What was wrong with the first byte cut off, or null.</param>
/// <param name="IndexesRebuilt">Indexes of sealed segments that were missing or damaged and were rebuilt from a scan.</param>
/// <param name="AbortedTransactions">
/// The transactions this recovery aborted (tagged batches with no end marker, not committed by the transaction log),
/// in the order of their first batch; transactions aborted by an earlier recovery are not repeated here.
/// </param>
/// <param name="CompletedTransactions">The transactions this recovery rolled forward (committed: their end marker was appended), in the order of their first batch.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed record JournalRecovery(
    int SegmentCount,
    long StartOffset,
    long EndOffset,
    long TruncatedBytes,
    string? TruncatedFile,
    long TruncatedAt,
    string? TruncationReason,
    int IndexesRebuilt,
    IReadOnlyList<long> AbortedTransactions,
    IReadOnlyList<long> CompletedTransactions)
{
    /// <summary>True when a torn tail was cut off or a torn segment deleted.</summary>
    public bool Truncated => TruncatedFile is not null;

    /// <summary>
    /// One human line, e.g. "recovered 3 segments, offsets [0, 12345); the tail was whole"; transactions aborted or
    /// rolled forward are listed at the end when there are any ("; aborted transactions 7, 9; completed transactions 8").
    /// </summary>
    public override string ToString()
    {
        string segments = SegmentCount == 1 ? "1 segment" : SegmentCount.ToString(CultureInfo.InvariantCulture) + " segments";
        string head = $"recovered {segments}, offsets [{StartOffset}, {EndOffset})";
        string indexes = IndexesRebuilt == 0 ? string.Empty : $"; rebuilt {IndexesRebuilt} index file(s)";
        string transactions = Describe("aborted", AbortedTransactions) + Describe("completed", CompletedTransactions);
        return TruncatedFile is null
            ? $"{head}; the tail was whole{indexes}{transactions}"
            : $"{head}; truncated a torn tail of {TruncatedBytes} bytes at byte {TruncatedAt} of {Path.GetFileName(TruncatedFile)} ({TruncationReason}){indexes}{transactions}";
    }

    private static string Describe(string what, IReadOnlyList<long> transactions) =>
        transactions.Count == 0 ? string.Empty : $"; {what} transactions {string.Join(", ", transactions.Select(t => t.ToString(CultureInfo.InvariantCulture)))}";
}
