using System.Buffers.Binary;
using System.Globalization;

namespace HotPath.Durability;

/// <summary>
/// The files of one partition's journal: segments of event batches, their sparse indexes, and the checkpoint.
/// </summary>
/// <remarks>
/// A partition directory holds <c>{baseOffset:D20}.log</c> segments, a <c>{baseOffset:D20}.index</c> beside each, and
/// one <c>checkpoint</c> file. A segment is a <see cref="FileHeaderLayout"/> header (kind Segment, record size = event
/// size, base offset) followed by frames (<see cref="FrameLayout"/>), each holding one batch:
/// <code>
///  segment file
///  +-------------------+---------------------+---------------------+----
///  | file header 64 B  | frame: batch        | frame: batch        | ...
///  +-------------------+---------------------+---------------------+----
///
///  batch body (inside a frame), kinds 1 events and 2 gap
///  0      1           4         8             16            24
///  +------+-----------+---------+-------------+-------------+-------------------------------+
///  | kind | reserved  | count   | base offset | timestamp   | count * event size bytes      |
///  | u8   | 3 B, zero | i32     | i64         | i64 unix ms | (events only; none for a gap) |
///  +------+-----------+---------+-------------+-------------+-------------------------------+
///
///  kind 3 transaction events: the batch header, then the transaction number, then the events
///  0                                                         24            32
///  +---------------------------------------------------------+-------------+--------------------------+
///  | batch header (kind 3, count >= 1, base offset, time)    | transaction | count * event size bytes |
///  |                                                         | i64         |                          |
///  +---------------------------------------------------------+-------------+--------------------------+
///
///  kind 4 transaction end marker: 32 bytes, occupies no offsets
///  0                                                         24            32
///  +---------------------------------------------------------+-------------+
///  | batch header (kind 4, count 0, base offset = the end    | transaction |
///  | offset when it was written, time)                       | i64         |
///  +---------------------------------------------------------+-------------+
///
///  index file: file header 64 B (kind Index, base offset), then 16-byte entries
///  0             8
///  +-------------+--------------------------------------------+
///  | offset i64  | file position of the frame that starts it  |
///  +-------------+--------------------------------------------+
///
///  checkpoint file: one frame whose body is
///  0               8               16              24
///  +---------------+---------------+---------------+
///  | segment base  | position      | end offset    |
///  +---------------+---------------+---------------+
///
///  aborted file (only once a transaction was aborted): one frame whose body is
///  0               4
///  +---------------+------------------------------------+
///  | count u32     | count * transaction number i64     |
///  +---------------+------------------------------------+
/// </code>
/// A batch holds offsets base .. base + count - 1; each batch's base is the previous batch's end, and each segment's
/// base the previous segment's end. An end marker holds no offset: its base is the previous batch's end and the next
/// batch starts there too. Readers step over markers; an index entry points at a marker only when it is its segment's
/// first frame (see <see cref="ShouldIndex"/>). A transaction's batches read as events unless the transaction is in
/// the partition's aborted set (<see cref="AbortedTransactionsFile"/>): then they read as gaps. Kinds above 4 are
/// unknown and read as corruption. The checkpoint says up to where the journal was verified and forced to stable storage: the segment,
/// the byte position in it and the offset there. Little-endian. Thread-safety: stateless.
/// </remarks>
internal static class SegmentLayout
{
    /// <summary>Bytes of a batch body before its events.</summary>
    public const int BatchHeaderSize = 24;

    /// <summary>Bytes of a frame header plus a batch header: what a scan reads to step over a batch.</summary>
    public const int FrameAndBatchHeaderSize = FrameLayout.HeaderSize + BatchHeaderSize;

    /// <summary>A batch of events.</summary>
    public const byte KindEvents = 1;

    /// <summary>A batch of offsets that hold no event (abandoned claims).</summary>
    public const byte KindGap = 2;

    /// <summary>A batch of events of a transaction: they read as a gap when the transaction was aborted.</summary>
    public const byte KindTransactionEvents = 3;

    /// <summary>The end marker of a transaction in this partition: no offsets, written once the transaction is decided committed.</summary>
    public const byte KindTransactionEnd = 4;

    /// <summary>Bytes of a transaction batch's body before its events: the batch header and the transaction number.</summary>
    public const int TransactionHeaderSize = BatchHeaderSize + 8;

    /// <summary>Bytes of an end marker's body.</summary>
    public const int TransactionEndBodyLength = TransactionHeaderSize;

    /// <summary>Bytes of one index entry.</summary>
    public const int IndexEntrySize = 16;

    /// <summary>Bytes of the checkpoint's frame body.</summary>
    public const int CheckpointBodySize = 24;

    /// <summary>The checkpoint's file name in the partition directory.</summary>
    public const string CheckpointFileName = "checkpoint";

    /// <summary>The name the checkpoint is written under before it replaces the old one.</summary>
    public const string CheckpointTempFileName = "checkpoint.tmp";

    /// <summary>The extension of segment files.</summary>
    public const string SegmentExtension = ".log";

    /// <summary>The extension of index files.</summary>
    public const string IndexExtension = ".index";

    private const int KindOffset = 0;
    private const int CountOffset = 4;
    private const int BaseOffsetOffset = 8;
    private const int TimestampOffset = 16;
    private const int TransactionOffset = 24;

    /// <summary>The file name of the segment whose first offset is <paramref name="baseOffset"/>.</summary>
    public static string SegmentFileName(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture) + SegmentExtension;

    /// <summary>The file name of the index of the segment whose first offset is <paramref name="baseOffset"/>.</summary>
    public static string IndexFileName(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture) + IndexExtension;

    /// <summary>Parses a segment file name (<c>{baseOffset:D20}.log</c>); false for any other name.</summary>
    public static bool TryParseSegmentFileName(string fileName, out long baseOffset)
    {
        baseOffset = 0;
        return fileName.Length == 20 + SegmentExtension.Length
            && fileName.EndsWith(SegmentExtension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>The body length of a batch: its header plus <paramref name="eventBytes"/>.</summary>
    public static int BatchBodyLength(int eventBytes) => BatchHeaderSize + eventBytes;

    /// <summary>The body length of a transaction batch: its header, the transaction number, then <paramref name="eventBytes"/>.</summary>
    public static int TransactionBatchBodyLength(int eventBytes) => TransactionHeaderSize + eventBytes;

    /// <summary>Writes the transaction number after the batch header of <paramref name="body"/> (kinds 3 and 4).</summary>
    public static void WriteTransaction(Span<byte> body, long transaction) =>
        BinaryPrimitives.WriteInt64LittleEndian(body[TransactionOffset..], transaction);

    /// <summary>Reads the transaction number after the batch header of <paramref name="body"/> (at least <see cref="TransactionHeaderSize"/> bytes of a kind 3 or 4 batch).</summary>
    public static long ReadTransaction(ReadOnlySpan<byte> body) => BinaryPrimitives.ReadInt64LittleEndian(body[TransactionOffset..]);

    /// <summary>True when <paramref name="kind"/> carries a transaction number after its header.</summary>
    public static bool HasTransaction(byte kind) => kind is KindTransactionEvents or KindTransactionEnd;

    /// <summary>
    /// Whether the frame at <paramref name="position"/> starting offset <paramref name="offset"/> gets an index entry,
    /// given the last entry (<paramref name="lastIndexedPosition"/> -1 when there is none). The first frame of a segment
    /// does, whatever its kind (a loaded index must start at the first frame). After it, the first frame at least
    /// <paramref name="intervalBytes"/> after the last entry does, unless it is an end marker (<paramref name="isMarker"/>)
    /// or starts the same offset as the last entry (a frame after a marker, which holds no offset): entries then ascend
    /// strictly in offset and stay below the next segment's base, and the earlier entry already leads a reader there.
    /// The appender and recovery use this same rule, so a rebuilt index equals the one written.
    /// </summary>
    public static bool ShouldIndex(long position, long offset, bool isMarker, long lastIndexedPosition, long lastIndexedOffset, int intervalBytes) =>
        lastIndexedPosition < 0 || (!isMarker && position - lastIndexedPosition >= intervalBytes && offset != lastIndexedOffset);

    /// <summary>Writes a batch header at the start of <paramref name="body"/>.</summary>
    public static void WriteBatchHeader(Span<byte> body, byte kind, int count, long baseOffset, long timestampMs)
    {
        body[KindOffset] = kind;
        body[1] = 0;
        body[2] = 0;
        body[3] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(body[CountOffset..], count);
        BinaryPrimitives.WriteInt64LittleEndian(body[BaseOffsetOffset..], baseOffset);
        BinaryPrimitives.WriteInt64LittleEndian(body[TimestampOffset..], timestampMs);
    }

    /// <summary>Reads the batch header at the start of <paramref name="body"/> (at least <see cref="BatchHeaderSize"/> bytes).</summary>
    public static BatchHeader ReadBatchHeader(ReadOnlySpan<byte> body) => new(
        body[KindOffset],
        BinaryPrimitives.ReadInt32LittleEndian(body[CountOffset..]),
        BinaryPrimitives.ReadInt64LittleEndian(body[BaseOffsetOffset..]),
        BinaryPrimitives.ReadInt64LittleEndian(body[TimestampOffset..]));

    /// <summary>
    /// Checks a batch header against the frame's body length, the event size and the offset the batch must start at:
    /// null when it is consistent, else the reason (an unknown kind, a count that does not match the length, an
    /// offset out of order).
    /// </summary>
    public static string? Check(in BatchHeader header, uint bodyLength, int eventSize, long expectedBase)
    {
        if (header.Kind is not (KindEvents or KindGap or KindTransactionEvents or KindTransactionEnd))
        {
            return $"unknown batch kind {header.Kind} (1 events, 2 gap, 3 transaction events and 4 transaction end are the known kinds)";
        }

        if (header.Kind == KindTransactionEnd)
        {
            if (header.Count != 0)
            {
                return $"a transaction end marker must have count 0, was {header.Count}";
            }

            if (bodyLength != TransactionEndBodyLength)
            {
                return $"a transaction end marker's body must be {TransactionEndBodyLength} bytes, the frame holds {bodyLength}";
            }
        }
        else
        {
            if (header.Count < 1)
            {
                return $"batch count must be at least 1, was {header.Count}";
            }

            long expectedLength = header.Kind switch
            {
                KindGap => BatchHeaderSize,
                KindTransactionEvents => TransactionHeaderSize + ((long)header.Count * eventSize),
                _ => BatchHeaderSize + ((long)header.Count * eventSize),
            };
            if (bodyLength != expectedLength)
            {
                return $"batch length does not match its count: {header.Count} events of {eventSize} bytes need a body of {expectedLength} bytes, the frame holds {bodyLength}";
            }
        }

        if (header.BaseOffset != expectedBase)
        {
            return $"offset out of order: expected {expectedBase}, found {header.BaseOffset}";
        }

        return null;
    }

    /// <summary>Writes one index entry into <paramref name="destination"/>.</summary>
    public static void WriteIndexEntry(Span<byte> destination, long offset, long position)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, offset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], position);
    }

    /// <summary>Reads one index entry from <paramref name="source"/>.</summary>
    public static (long Offset, long Position) ReadIndexEntry(ReadOnlySpan<byte> source) =>
        (BinaryPrimitives.ReadInt64LittleEndian(source), BinaryPrimitives.ReadInt64LittleEndian(source[8..]));

    /// <summary>Writes a checkpoint body into <paramref name="body"/>.</summary>
    public static void WriteCheckpoint(Span<byte> body, long segmentBase, long position, long endOffset)
    {
        BinaryPrimitives.WriteInt64LittleEndian(body, segmentBase);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], position);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], endOffset);
    }

    /// <summary>Reads a checkpoint body.</summary>
    public static JournalCheckpoint ReadCheckpoint(ReadOnlySpan<byte> body) => new(
        BinaryPrimitives.ReadInt64LittleEndian(body),
        BinaryPrimitives.ReadInt64LittleEndian(body[8..]),
        BinaryPrimitives.ReadInt64LittleEndian(body[16..]));

    /// <summary>A batch header as read from a segment.</summary>
    /// <param name="Kind"><see cref="KindEvents"/>, <see cref="KindGap"/>, <see cref="KindTransactionEvents"/>, <see cref="KindTransactionEnd"/> or an unknown kind.</param>
    /// <param name="Count">The offsets the batch holds (0 for an end marker).</param>
    /// <param name="BaseOffset">The batch's first offset.</param>
    /// <param name="TimestampMs">When the batch was appended, unix milliseconds.</param>
    public readonly record struct BatchHeader(byte Kind, int Count, long BaseOffset, long TimestampMs)
    {
        /// <summary>The offset after the batch's last one.</summary>
        public long EndOffset => BaseOffset + Count;
    }
}
