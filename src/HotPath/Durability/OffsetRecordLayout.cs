using System.Buffers.Binary;
using System.Text;
using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// The records of <c>offsets.log</c>: after the file header (kind Offsets), frames whose body is one commit record
/// carrying one or more committed offsets. A frame is written whole or, after a crash, recognised as torn, so the
/// entries of one record are stored as a unit.
/// </summary>
/// <remarks>
/// <code>
///  offsets.log = [64-byte file header, kind Offsets][frame][frame]...   frame = [u32 length][u32 CRC-32][body]
///
///  body (a commit record):
///  0      1      2             4                            12
///  +------+------+-------------+----------------------------+-----------+-----------+---
///  | kind | 0    | entry count | timestamp, unix ms         | entry 0   | entry 1   | ...
///  | u8=1 | u8   | u16, 1..    | i64                        |           |           |
///  +------+------+-------------+----------------------------+-----------+-----------+---
///
///  entry:
///  0             2                          2+n            6+n                      14+n
///  +-------------+--------------------------+--------------+------------------------+
///  | group id    | group id, UTF-8          | partition    | offset                 |
///  | length n    | (n bytes, 1..255)        | i32, >= 0    | i64, >= 0              |
///  | u16         |                          |              |                        |
///  +-------------+--------------------------+--------------+------------------------+
/// </code>
/// Little-endian. Thread-safety: stateless.
/// </remarks>
internal static class OffsetRecordLayout
{
    /// <summary>Bytes of the record header, before the first entry.</summary>
    public const int RecordHeaderSize = 12;

    /// <summary>The record kind of a commit.</summary>
    public const byte CommitKind = 1;

    /// <summary>The most entries one record carries.</summary>
    public const int MaxEntries = ushort.MaxValue;

    /// <summary>The longest group id, in UTF-8 bytes.</summary>
    public const int MaxGroupIdBytes = 255;

    private const int KindOffset = 0;
    private const int ReservedOffset = 1;
    private const int CountOffset = 2;
    private const int TimestampOffset = 4;
    private const int EntryFixedSize = 2 + 4 + 8;

    /// <summary>Strict UTF-8: a lone surrogate or a malformed byte sequence throws instead of turning into U+FFFD.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes an entry whose group id takes <paramref name="groupIdBytes"/> UTF-8 bytes takes.</summary>
    public static int EntrySize(int groupIdBytes) => EntryFixedSize + groupIdBytes;

    /// <summary>Writes the record header into <paramref name="body"/>.</summary>
    public static void WriteHeader(Span<byte> body, int count, long timestampUnixMs)
    {
        body[KindOffset] = CommitKind;
        body[ReservedOffset] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(body[CountOffset..], (ushort)count);
        BinaryPrimitives.WriteInt64LittleEndian(body[TimestampOffset..], timestampUnixMs);
    }

    /// <summary>Writes <paramref name="entry"/> (its group id encoded to <paramref name="groupIdBytes"/> bytes) at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteEntry(Span<byte> destination, in OffsetEntry entry, int groupIdBytes)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)groupIdBytes);
        Utf8.GetBytes(entry.GroupId, destination.Slice(2, groupIdBytes));
        BinaryPrimitives.WriteInt32LittleEndian(destination[(2 + groupIdBytes)..], entry.Partition);
        BinaryPrimitives.WriteInt64LittleEndian(destination[(6 + groupIdBytes)..], entry.Offset);
        return EntrySize(groupIdBytes);
    }

    /// <summary>
    /// The bytes of the frame carrying <paramref name="entries"/> (1 to <see cref="MaxEntries"/>), after checking each
    /// entry: an <see cref="ArgumentException"/> naming the entry for a group id that is null, not 1 to
    /// <see cref="MaxGroupIdBytes"/> UTF-8 bytes or not valid UTF-16, and for a negative partition or offset.
    /// </summary>
    public static int Measure(ReadOnlySpan<OffsetEntry> entries)
    {
        if (entries.Length > MaxEntries)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(entries), $"must hold at most {MaxEntries} entries (one record)", entries.Length);
        }

        int bodyBytes = RecordHeaderSize;
        for (int i = 0; i < entries.Length; i++)
        {
            bodyBytes += EntrySize(GroupIdBytes(entries[i], i));
        }

        return FrameLayout.FrameSize(bodyBytes);
    }

    /// <summary>Writes the frame carrying <paramref name="entries"/> (checked by <see cref="Measure"/>, whose size <paramref name="frame"/> has).</summary>
    public static void Encode(Span<byte> frame, ReadOnlySpan<OffsetEntry> entries, long timestampUnixMs)
    {
        Span<byte> body = frame[FrameLayout.HeaderSize..];
        WriteHeader(body, entries.Length, timestampUnixMs);
        int position = RecordHeaderSize;
        foreach (ref readonly OffsetEntry entry in entries)
        {
            position += WriteEntry(body[position..], entry, Utf8.GetByteCount(entry.GroupId));
        }

        FrameLayout.Seal(frame);
    }

    /// <summary>A whole log holding <paramref name="live"/>: the header, then records of at most <see cref="MaxEntries"/> entries.</summary>
    public static byte[] EncodeFile(ReadOnlySpan<OffsetEntry> live, long timestampUnixMs)
    {
        int total = FileHeaderLayout.Size;
        for (int start = 0; start < live.Length; start += MaxEntries)
        {
            total += Measure(live.Slice(start, Math.Min(MaxEntries, live.Length - start)));
        }

        var file = new byte[total];
        FileHeaderLayout.Write(file, FileHeaderLayout.FileKind.Offsets, 0, 0);
        int position = FileHeaderLayout.Size;
        for (int start = 0; start < live.Length; start += MaxEntries)
        {
            ReadOnlySpan<OffsetEntry> chunk = live.Slice(start, Math.Min(MaxEntries, live.Length - start));
            int frameBytes = Measure(chunk);
            Encode(file.AsSpan(position, frameBytes), chunk, timestampUnixMs);
            position += frameBytes;
        }

        return file;
    }

    /// <summary>The bytes of <paramref name="count"/> live entries taking <paramref name="entryBytes"/> written as records.</summary>
    public static long LiveBytes(int count, long entryBytes)
    {
        long records = Math.Max(1, (count + MaxEntries - 1) / MaxEntries);
        return (records * (FrameLayout.HeaderSize + RecordHeaderSize)) + entryBytes;
    }

    private static int GroupIdBytes(in OffsetEntry entry, int index)
    {
        if (entry.GroupId is null)
        {
            ThrowHelper.ArgumentNull($"entries[{index}].GroupId", "every entry names its consumer group");
        }

        int bytes = -1;
        try
        {
            bytes = Utf8.GetByteCount(entry.GroupId);
        }
        catch (EncoderFallbackException)
        {
            ThrowHelper.Argument($"entries[{index}].GroupId", $"entries[{index}].GroupId must be valid UTF-16 (no lone surrogate), was '{entry.GroupId}'");
        }

        if (bytes is < 1 or > MaxGroupIdBytes)
        {
            ThrowHelper.ArgumentOutOfRange($"entries[{index}].GroupId", $"must be 1 to {MaxGroupIdBytes} UTF-8 bytes (group '{entry.GroupId}')", $"{bytes} bytes");
        }

        if (entry.Partition < 0)
        {
            ThrowHelper.ArgumentOutOfRange($"entries[{index}].Partition", $"must be at least 0 (group '{entry.GroupId}')", entry.Partition);
        }

        if (entry.Offset < OffsetEntry.Deleted)
        {
            ThrowHelper.ArgumentOutOfRange(
                $"entries[{index}].Offset", $"must be at least 0, or {OffsetEntry.Deleted} to delete the stored offset (group '{entry.GroupId}', partition {entry.Partition})", entry.Offset);
        }

        return bytes;
    }

    /// <summary>
    /// Checks that <paramref name="body"/> is a well-formed commit record (kind, reserved byte, count, every entry in
    /// range and the entries filling the body exactly) without allocating; on failure, <paramref name="reason"/> says why.
    /// </summary>
    public static bool TryValidate(ReadOnlySpan<byte> body, out string? reason)
    {
        reason = null;
        if (body.Length < RecordHeaderSize || body[KindOffset] != CommitKind || body[ReservedOffset] != 0)
        {
            reason = body.Length < RecordHeaderSize
                ? $"the record is {body.Length} bytes long, shorter than its {RecordHeaderSize}-byte header"
                : $"the record kind is {body[KindOffset]} with reserved byte {body[ReservedOffset]}; a commit is kind {CommitKind} with 0";
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(body[CountOffset..]);
        int position = RecordHeaderSize;
        for (int i = 0; i < count; i++)
        {
            if (body.Length - position < EntryFixedSize)
            {
                reason = $"entry {i} of {count} runs past the record's end";
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16LittleEndian(body[position..]);
            if (length is 0 or > MaxGroupIdBytes || body.Length - position < EntrySize(length))
            {
                reason = $"entry {i} of {count} has a group id length of {length} bytes (1 to {MaxGroupIdBytes}, within the record)";
                return false;
            }

            if (BinaryPrimitives.ReadInt32LittleEndian(body[(position + 2 + length)..]) < 0 || BinaryPrimitives.ReadInt64LittleEndian(body[(position + 6 + length)..]) < OffsetEntry.Deleted)
            {
                reason = $"entry {i} of {count} has a negative partition or an offset below {OffsetEntry.Deleted}";
                return false;
            }

            position += EntrySize(length);
        }

        if (count == 0 || position != body.Length)
        {
            reason = $"the record announces {count} entries, which take {position} of its {body.Length} bytes";
            return false;
        }

        return true;
    }

    /// <summary>Reads the entries of a record <see cref="TryValidate"/> accepted; the group ids must decode as UTF-8.</summary>
    public static void ReadEntries(ReadOnlySpan<byte> body, Action<OffsetEntry> onEntry)
    {
        int count = BinaryPrimitives.ReadUInt16LittleEndian(body[CountOffset..]);
        int position = RecordHeaderSize;
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(body[position..]);
            string groupId = Utf8.GetString(body.Slice(position + 2, length));
            int partition = BinaryPrimitives.ReadInt32LittleEndian(body[(position + 2 + length)..]);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(body[(position + 6 + length)..]);
            onEntry(new OffsetEntry(groupId, partition, offset));
            position += EntrySize(length);
        }
    }
}
