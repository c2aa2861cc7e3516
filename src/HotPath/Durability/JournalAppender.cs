using System.Runtime.InteropServices;
using HotPath.Consumers;

namespace HotPath.Durability;

/// <summary>
/// The journaller's batch handler on one partition: appends each run of published events to the journal, and the
/// offsets a run skipped (gaps: abandoned multi-writer claims) as a gap record, so journal offsets match ring offsets.
/// With a <paramref name="transaction"/> (not 0), the events are tagged with it (one part of a transaction over several
/// partitions, see <see cref="DurableCommit"/>).
/// </summary>
/// <typeparam name="T">The event type: a struct without references (checked when the topic is created).</typeparam>
/// <remarks>Thread-safety: the journaller thread only.</remarks>
internal struct JournalAppender<T>(PartitionJournal journal, long timestampMs, long transaction = 0, T[]? ring = null, nint ringAddress = 0)
    : IBatchHandler<T>
    where T : struct
{
    /// <inheritdoc/>
    public readonly void OnBatch(ReadOnlySpan<T> events, int partition, long firstOffset)
    {
        AppendGapTo(journal, firstOffset, timestampMs);
        // The events stay in their slots until the journal's flushed end passes them (the journaller commits no
        // further): the journal may write them from there (a pinned ring; see InPlaceEvents).
        InPlaceEvents inPlace = ring is null ? default : InPlaceEvents.Of(ring, ringAddress, events);
        if (transaction == 0)
        {
            journal.AppendEvents(firstOffset, MemoryMarshal.AsBytes(events), timestampMs, inPlace);
        }
        else
        {
            journal.AppendTransactionEvents(firstOffset, MemoryMarshal.AsBytes(events), timestampMs, transaction, inPlace);
        }
    }

    /// <summary>Appends the gap from the journal's end up to <paramref name="offset"/>, if there is one.</summary>
    public static void AppendGapTo(PartitionJournal journal, long offset, long timestampMs)
    {
        long end = journal.EndOffset;
        if (offset > end)
        {
            journal.AppendGap(end, offset - end, timestampMs);
        }
    }
}
