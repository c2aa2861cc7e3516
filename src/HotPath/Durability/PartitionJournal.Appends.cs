using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Durability;

/// <content>Appends: batches, transaction batches and end markers, gaps, staged as frames (see <see cref="JournalStaging"/>).</content>
internal sealed partial class PartitionJournal
{
    /// <summary>
    /// Appends <paramref name="events"/> (a positive multiple of <see cref="EventSize"/> bytes) as one batch starting at
    /// <paramref name="firstOffset"/>, which must be <see cref="EndOffset"/>. Buffered until <see cref="Flush"/>.
    /// Thread-safety: the appender. Allocates nothing in steady state.
    /// </summary>
    public void AppendEvents(long firstOffset, ReadOnlySpan<byte> events, long timestampMs, InPlaceEvents inPlace = default)
    {
        CheckAppend(firstOffset);
        CheckEvents(events, SegmentLayout.BatchHeaderSize);
        int count = events.Length / EventSize;
        Span<byte> frame = StageBatch(SegmentLayout.BatchHeaderSize, events, firstOffset, timestampMs, ref inPlace);
        SegmentLayout.WriteBatchHeader(frame[FrameLayout.HeaderSize..], SegmentLayout.KindEvents, count, firstOffset, timestampMs);
        SealBatch(frame, events, inPlace, firstOffset + count);
    }

    /// <summary>
    /// Appends <paramref name="events"/> (a positive multiple of <see cref="EventSize"/> bytes) as one batch of
    /// <paramref name="transaction"/> starting at <paramref name="firstOffset"/>, which must be <see cref="EndOffset"/>.
    /// It reads as events, unless a recovery finds it with no end marker after it and the transaction log does not
    /// record the transaction as committed: then it reads as a gap. Until the transaction's end marker is staged the
    /// journal rolls at most once (see <see cref="HoldRoll"/>). Buffered until <see cref="Flush"/>. Thread-safety: the appender. Allocates
    /// nothing in steady state.
    /// </summary>
    public void AppendTransactionEvents(long firstOffset, ReadOnlySpan<byte> events, long timestampMs, long transaction, InPlaceEvents inPlace = default)
    {
        CheckAppend(firstOffset);
        CheckEvents(events, SegmentLayout.TransactionHeaderSize);
        int count = events.Length / EventSize;
        Span<byte> frame = StageBatch(SegmentLayout.TransactionHeaderSize, events, firstOffset, timestampMs, ref inPlace);
        Span<byte> body = frame[FrameLayout.HeaderSize..];
        SegmentLayout.WriteBatchHeader(body, SegmentLayout.KindTransactionEvents, count, firstOffset, timestampMs);
        SegmentLayout.WriteTransaction(body, transaction);
        SealBatch(frame, events, inPlace, firstOffset + count);
        // After Stage, which may have rolled: the segment that holds this batch (an earlier one is kept).
        _openTagged.TryAdd(transaction, Active.BaseOffset);
    }

    /// <summary>
    /// Stages the end marker of <paramref name="transaction"/> at <see cref="EndOffset"/> (it holds no offset): once it
    /// is in the files, a recovery no longer asks about the transaction and its batches read as events. Write it after
    /// the transaction log recorded the commit. Written with the next <see cref="Flush"/>; never rolls the segment.
    /// Thread-safety: the appender. Allocates nothing in steady state.
    /// </summary>
    public void AppendTransactionEnd(long transaction, long timestampMs)
    {
        ThrowIfDisposed();
        Span<byte> frame = Stage(SegmentLayout.TransactionEndBodyLength, _endOffset, timestampMs, isMarker: true);
        Span<byte> body = frame[FrameLayout.HeaderSize..];
        SegmentLayout.WriteBatchHeader(body, SegmentLayout.KindTransactionEnd, 0, _endOffset, timestampMs);
        SegmentLayout.WriteTransaction(body, transaction);
        FrameLayout.Seal(frame);
        _staging.Staged(_endOffset);
        _openTagged.Remove(transaction);
    }

    /// <summary>
    /// Appends <paramref name="count"/> offsets that hold no event (abandoned claims), starting at
    /// <paramref name="firstOffset"/>, which must be <see cref="EndOffset"/>. Thread-safety: the appender.
    /// </summary>
    public void AppendGap(long firstOffset, long count, long timestampMs)
    {
        CheckAppend(firstOffset);
        if (count < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(count), "must be at least 1", count);
        }

        while (count > 0)
        {
            int batch = (int)Math.Min(count, int.MaxValue);
            Span<byte> frame = Stage(SegmentLayout.BatchHeaderSize, firstOffset, timestampMs, isMarker: false);
            SegmentLayout.WriteBatchHeader(frame[FrameLayout.HeaderSize..], SegmentLayout.KindGap, batch, firstOffset, timestampMs);
            FrameLayout.Seal(frame);
            firstOffset += batch;
            count -= batch;
            Staged(firstOffset);
        }
    }

    /// <summary>The frame staged last, now sealed, ends the offsets before <paramref name="endOffset"/>: the journal's and the active segment's end move there.</summary>
    private void Staged(long endOffset)
    {
        _endOffset = endOffset;
        Active.EndOffset = endOffset;
        _staging.Staged(endOffset);
    }

    private void CheckAppend(long firstOffset)
    {
        ThrowIfDisposed();
        if (firstOffset != _endOffset)
        {
            ThrowNotContiguous(firstOffset, _endOffset);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotContiguous(long firstOffset, long endOffset) =>
        ThrowHelper.ArgumentOutOfRange(nameof(firstOffset), $"must equal the journal's end offset {endOffset} (offsets are contiguous)", firstOffset);

    /// <summary>Checks that <paramref name="events"/> is a positive multiple of the event size and fits one frame after <paramref name="headerSize"/> bytes.</summary>
    private void CheckEvents(ReadOnlySpan<byte> events, int headerSize)
    {
        if (events.IsEmpty || events.Length % EventSize != 0)
        {
            ThrowHelper.Argument(nameof(events), $"{nameof(events)} must be a positive multiple of the event size {EventSize} bytes, was {events.Length} bytes");
        }

        if (events.Length > FrameLayout.MaxBodyLength - headerSize)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(events), $"must be at most {FrameLayout.MaxBodyLength - headerSize} bytes in one batch", events.Length);
        }
    }

    /// <summary>True when a transaction's first tagged batch without its end marker is in a sealed segment: a roll would leave it two segments back.</summary>
    private bool TaggedBeforeActive()
    {
        long active = Active.BaseOffset;
        foreach (long segmentBase in _openTagged.Values)
        {
            if (segmentBase < active)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Stages a batch frame of a <paramref name="headerSize"/>-byte batch header and <paramref name="events"/>; returns the
    /// frame's staging bytes: its header and the batch header, and the events copied after them unless they are staged in
    /// place (<paramref name="inPlace"/>, where the staging gathers writes; otherwise it is cleared), which
    /// <see cref="SealBatch"/> does after the caller wrote the batch header.
    /// </summary>
    private Span<byte> StageBatch(int headerSize, ReadOnlySpan<byte> events, long firstOffset, long timestampMs, ref InPlaceEvents inPlace)
    {
        if (!JournalStaging.GathersWrites)
        {
            inPlace = default;
        }

        int inPlaceBytes = inPlace.IsSet ? events.Length : 0;
        Span<byte> frame = Stage(headerSize + events.Length, firstOffset, timestampMs, isMarker: false, inPlaceBytes);
        if (!inPlace.IsSet)
        {
            events.CopyTo(frame[(FrameLayout.HeaderSize + headerSize)..]);
        }

        return frame;
    }

    /// <summary>Seals a frame of <see cref="StageBatch"/> (its checksum over the staged bytes and the events in place, if so) and records its end.</summary>
    private void SealBatch(Span<byte> frame, ReadOnlySpan<byte> events, InPlaceEvents inPlace, long offsetEnd)
    {
        if (inPlace.IsSet)
        {
            FrameLayout.Seal(frame, events, _checksum);
            _staging.StageInPlace(inPlace.Address, events.Length, inPlace.Owner!);
        }
        else
        {
            FrameLayout.Seal(frame);
        }

        Staged(offsetEnd);
    }

    /// <summary>
    /// Makes room for a frame with a body of <paramref name="bodyLength"/> bytes starting at <paramref name="firstOffset"/>
    /// (rolling the segment or flushing when needed), records its index entry, and returns the frame's staging bytes: all of
    /// them, or without the last <paramref name="inPlaceBytes"/>, which the caller stages in place.
    /// Rolls only for a batch (not an end marker), when the roll is not held, and when the active segment holds at least
    /// one offset: a segment of markers only has the next segment's base, and the new file would replace it.
    /// </summary>
    private Span<byte> Stage(int bodyLength, long firstOffset, long timestampMs, bool isMarker, int inPlaceBytes = 0)
    {
        int frameSize = FrameLayout.FrameSize(bodyLength);
        JournalSegment active = Active;
        if (!isMarker && !HoldRoll && active.EndOffset > active.BaseOffset && active.Length + frameSize > _settings.SegmentBytes && !TaggedBeforeActive())
        {
            Roll();
            active = Active;
        }

        Span<byte> frame = _staging.Reserve(frameSize - inPlaceBytes);
        if (frame.IsEmpty)
        {
            FlushStaged();
            frame = _staging.Reserve(frameSize - inPlaceBytes);
        }

        long position = active.Length;
        if (SegmentLayout.ShouldIndex(position, firstOffset, isMarker, active.Index.LastPosition, active.Index.LastOffset, _settings.IndexIntervalBytes))
        {
            active.Index.Add(firstOffset, position);
        }

        active.Length = position + frameSize;
        active.LastTimestampMs = timestampMs;

        // Release: a snapshot for SizeBytes readers; nothing else depends on it.
        Volatile.Write(ref _sizeBytes, _sizeBytes + frameSize);
        return frame;
    }
}
