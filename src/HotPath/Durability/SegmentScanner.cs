using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// Walks a segment file frame by frame, verifying each whole frame (length, checksum, batch kind, count and offset
/// order), and adds sparse index entries on the way. Used by recovery; readers step over frames by their headers only.
/// </summary>
/// <remarks>Thread-safety: one scan at a time per buffer; the segment belongs to the caller.</remarks>
internal static class SegmentScanner
{
    /// <summary>
    /// Reads and checks the batch frame at <paramref name="position"/>: null when it is whole and consistent (its
    /// header, size and, for a transaction batch or end marker, transaction number out; 0 for other kinds), else the
    /// reason it is not.
    /// </summary>
    public static string? ReadBatch(
        SafeFileHandle file, long position, long fileLength, int eventSize, long expectedBase, ref byte[] buffer,
        out SegmentLayout.BatchHeader header, out int frameSize, out long transaction)
    {
        header = default;
        frameSize = 0;
        transaction = 0;
        long available = fileLength - position;
        if (available < FrameLayout.HeaderSize)
        {
            return $"a frame header cut short: {available} of {FrameLayout.HeaderSize} bytes";
        }

        Span<byte> frameHeader = stackalloc byte[FrameLayout.HeaderSize];
        RandomAccess.Read(file, frameHeader, position);
        uint announced = FrameLayout.AnnouncedLength(frameHeader);
        if (announced is 0 or > FrameLayout.MaxBodyLength)
        {
            return $"impossible frame length {announced} (1 to {FrameLayout.MaxBodyLength})";
        }

        long whole = FrameLayout.HeaderSize + (long)announced;
        if (available < whole)
        {
            return $"a frame cut short: {available} of {whole} bytes";
        }

        if (buffer.Length < whole)
        {
            buffer = new byte[Math.Max(whole, buffer.Length * 2L)];
        }

        Span<byte> frame = buffer.AsSpan(0, (int)whole);
        int read = RandomAccess.Read(file, frame, position);
        if (read < whole)
        {
            return $"a frame cut short: {read} of {whole} bytes";
        }

        FrameLayout.Status status = FrameLayout.TryRead(frame, out ReadOnlySpan<byte> body, out frameSize);
        if (status != FrameLayout.Status.Valid)
        {
            return status == FrameLayout.Status.BadChecksum ? "checksum mismatch" : $"bad frame ({status})";
        }

        if (body.Length < SegmentLayout.BatchHeaderSize)
        {
            return $"a frame of {body.Length} bytes is shorter than a {SegmentLayout.BatchHeaderSize}-byte batch header";
        }

        header = SegmentLayout.ReadBatchHeader(body);
        string? wrong = SegmentLayout.Check(header, (uint)body.Length, eventSize, expectedBase);
        if (wrong is null && SegmentLayout.HasTransaction(header.Kind))
        {
            transaction = SegmentLayout.ReadTransaction(body);
        }

        return wrong;
    }

    /// <summary>
    /// Scans <paramref name="segment"/> from <paramref name="position"/> (where offset <paramref name="offset"/>
    /// starts) to <paramref name="fileLength"/> or the first bad frame, adding index entries by
    /// <see cref="SegmentLayout.ShouldIndex"/>. When <paramref name="openTransactions"/> is given, a whole transaction
    /// batch adds its transaction with the batch's first offset (unless already there) and a whole end marker removes
    /// its transaction: what remains are the transactions with a batch and no end marker after it, among the frames
    /// before the first bad one.
    /// </summary>
    public static ScanResult Scan(
        JournalSegment segment, long position, long offset, long fileLength, int eventSize, int indexIntervalBytes, ref byte[] buffer,
        Dictionary<long, long>? openTransactions = null)
    {
        long lastIndexed = segment.Index.LastPosition;
        long lastIndexedOffset = segment.Index.LastOffset;
        long lastTimestamp = long.MinValue;
        while (position < fileLength)
        {
            string? reason = ReadBatch(
                segment.Data, position, fileLength, eventSize, offset, ref buffer, out SegmentLayout.BatchHeader header, out int frameSize, out long transaction);
            if (reason is not null)
            {
                return new ScanResult(position, offset, lastTimestamp, reason);
            }

            if (SegmentLayout.ShouldIndex(position, offset, header.Kind == SegmentLayout.KindTransactionEnd, lastIndexed, lastIndexedOffset, indexIntervalBytes))
            {
                segment.Index.Add(offset, position);
                (lastIndexed, lastIndexedOffset) = (position, offset);
            }

            if (openTransactions is not null)
            {
                if (header.Kind == SegmentLayout.KindTransactionEvents)
                {
                    openTransactions.TryAdd(transaction, header.BaseOffset);
                }
                else if (header.Kind == SegmentLayout.KindTransactionEnd)
                {
                    openTransactions.Remove(transaction);
                }
            }

            lastTimestamp = header.TimestampMs;
            offset = header.EndOffset;
            position += frameSize;
        }

        return new ScanResult(position, offset, lastTimestamp, null);
    }

    /// <summary>Where a scan stopped.</summary>
    /// <param name="Position">The byte position after the last whole frame (the bad frame's position when <paramref name="Failure"/> is set).</param>
    /// <param name="EndOffset">The offset after the last whole batch.</param>
    /// <param name="LastTimestampMs">The last whole batch's timestamp, or long.MinValue when none was read.</param>
    /// <param name="Failure">Why the frame at <paramref name="Position"/> is bad, or null when the scan reached the end.</param>
    public readonly record struct ScanResult(long Position, long EndOffset, long LastTimestampMs, string? Failure);
}
