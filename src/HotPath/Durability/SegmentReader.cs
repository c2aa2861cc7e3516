using System.IO.Hashing;
using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// The read path of a segment: finds the batch holding an offset (index entry, then frame headers forward, stepping
/// over transaction end markers, which hold no offset), copies the asked events straight into the caller's buffer, and
/// verifies the batch's checksum by streaming the rest of its body through a per-thread scratch buffer. A transaction
/// batch whose transaction is in the aborted set reads as a gap (its checksum still verified, nothing copied).
/// </summary>
/// <remarks>
/// Thread-safety: any thread, concurrently with the appender, for offsets below the journal's flushed end: those bytes
/// are written and never change. The scratch buffer and checksum state are per thread; the aborted set is filled by
/// recovery before the journal is shared and never changes after, so concurrent lookups are safe.
/// </remarks>
internal static class SegmentReader
{
    private const int ScratchSize = 64 * 1024;

    [ThreadStatic]
    private static byte[]? t_scratch;

    [ThreadStatic]
    private static Crc32? t_crc;

    /// <summary>
    /// Reads the run at <paramref name="offset"/> (at least the segment's base, below the flushed end); counts the frames
    /// whose headers it read in <paramref name="framesScanned"/>. A transaction batch whose transaction is in
    /// <paramref name="aborted"/> is a gap.
    /// </summary>
    public static JournalRun Read(
        JournalSegment segment, long offset, Span<byte> destination, int eventSize, HashSet<long> aborted, ref long framesScanned)
    {
        long position = FileHeaderLayout.Size;
        long expected = segment.BaseOffset;
        if (segment.Index.TryFind(offset, out SparseIndex.Entry entry))
        {
            (position, expected) = (entry.Position, entry.Offset);
        }

        Span<byte> head = stackalloc byte[SegmentLayout.FrameAndBatchHeaderSize];
        while (true)
        {
            int read = RandomAccess.Read(segment.Data, head, position);
            Interlocked.Increment(ref framesScanned);
            if (read < head.Length)
            {
                ThrowHelper.JournalCorruption(segment.Path, position, $"a frame cut short: {read} of at least {head.Length} bytes before the end of the file");
            }

            uint bodyLength = FrameLayout.AnnouncedLength(head);
            if (bodyLength is < SegmentLayout.BatchHeaderSize or > FrameLayout.MaxBodyLength)
            {
                ThrowHelper.JournalCorruption(segment.Path, position, $"impossible frame length {bodyLength} ({SegmentLayout.BatchHeaderSize} to {FrameLayout.MaxBodyLength})");
            }

            SegmentLayout.BatchHeader header = SegmentLayout.ReadBatchHeader(head[FrameLayout.HeaderSize..]);
            string? wrong = SegmentLayout.Check(header, bodyLength, eventSize, expected);
            if (wrong is not null)
            {
                ThrowHelper.JournalCorruption(segment.Path, position, wrong);
            }

            if (offset < header.EndOffset)
            {
                return ReadBatch(segment, position, head, header, bodyLength, offset, destination, eventSize, aborted);
            }

            expected = header.EndOffset;
            position += FrameLayout.HeaderSize + bodyLength;
        }
    }

    private static JournalRun ReadBatch(
        JournalSegment segment, long position, ReadOnlySpan<byte> head, in SegmentLayout.BatchHeader header, uint bodyLength,
        long offset, Span<byte> destination, int eventSize, HashSet<long> aborted)
    {
        Crc32 crc = t_crc ??= new Crc32();
        crc.Reset();
        crc.Append(head[FrameLayout.HeaderSize..]);
        long events = position + SegmentLayout.FrameAndBatchHeaderSize;
        long eventBytes = bodyLength - SegmentLayout.BatchHeaderSize;
        bool isGap = header.Kind == SegmentLayout.KindGap;
        if (header.Kind == SegmentLayout.KindTransactionEvents)
        {
            // The transaction number follows the batch header; it is part of the checksummed body.
            Span<byte> number = stackalloc byte[SegmentLayout.TransactionHeaderSize - SegmentLayout.BatchHeaderSize];
            ReadExactly(segment, number, events);
            crc.Append(number);
            long transaction = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(number);
            isGap = aborted.Count != 0 && aborted.Contains(transaction);
            events += number.Length;
            eventBytes -= number.Length;
        }

        int first = (int)(offset - header.BaseOffset);
        int count = header.Count - first;
        if (isGap)
        {
            // A gap batch has no bytes left; an aborted transaction's events are verified and dropped.
            Stream(segment, crc, events, eventBytes, default);
        }
        else
        {
            count = Math.Min(count, destination.Length / eventSize);
            long before = (long)first * eventSize;
            long wanted = (long)count * eventSize;
            long after = eventBytes - before - wanted;
            Stream(segment, crc, events, before, default);
            Stream(segment, crc, events + before, wanted, destination[..(int)wanted]);
            Stream(segment, crc, events + before + wanted, after, default);
        }

        uint stored = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (crc.GetCurrentHashAsUInt32() != stored)
        {
            ThrowHelper.JournalCorruption(segment.Path, position, "checksum mismatch");
        }

        return new JournalRun(offset, count, isGap);
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="position"/> into the checksum, through <paramref name="target"/> when it is not empty, else through the scratch buffer.</summary>
    private static void Stream(JournalSegment segment, Crc32 crc, long position, long length, Span<byte> target)
    {
        if (length == 0)
        {
            return;
        }

        if (!target.IsEmpty)
        {
            ReadExactly(segment, target, position);
            crc.Append(target);
            return;
        }

        byte[] scratch = t_scratch ??= new byte[ScratchSize];
        while (length > 0)
        {
            Span<byte> chunk = scratch.AsSpan(0, (int)Math.Min(length, scratch.Length));
            ReadExactly(segment, chunk, position);
            crc.Append(chunk);
            position += chunk.Length;
            length -= chunk.Length;
        }
    }

    private static void ReadExactly(JournalSegment segment, Span<byte> buffer, long position)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = RandomAccess.Read(segment.Data, buffer[done..], position + done);
            if (read == 0)
            {
                ThrowHelper.JournalCorruption(segment.Path, position, $"the file ends at byte {position + done}, inside a frame");
            }

            done += read;
        }
    }
}
