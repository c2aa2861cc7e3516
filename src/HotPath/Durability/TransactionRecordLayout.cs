using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace HotPath.Durability;

/// <summary>
/// The records of the transaction log (<see cref="TransactionLog"/>), each the body of one <see cref="FrameLayout"/> frame
/// after the file's 64-byte header (kind <see cref="FileHeaderLayout.FileKind.Transactions"/>).
/// </summary>
/// <remarks>
/// <code>
///  session record: kind 1 (u8) | session (i32)                       the log was opened; numbers of this session follow
///  commit record:  kind 2 (u8) | transaction (i64)
///                  | parts (i32)   then per part:   topic (u8 length, UTF-8) | partition (i32)
///                  | offsets (i32) then per offset: topic (u8 length, UTF-8) | group (u8 length, UTF-8) | partition (i32) | offset (i64)
/// </code>
/// A commit record says that the transaction's tagged batches in each listed part are committed, and carries the consumer
/// offsets the transaction committed (exactly-once input). A record with transaction 0 and no parts carries offsets only
/// (what compaction keeps, or tombstones: offset -1 deletes a group's offset). Little-endian. Thread-safety: stateless.
/// </remarks>
internal static class TransactionRecordLayout
{
    /// <summary>A session record.</summary>
    public const byte SessionKind = 1;

    /// <summary>A commit record.</summary>
    public const byte CommitKind = 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes a session record as a whole frame.</summary>
    public static byte[] EncodeSession(int session)
    {
        byte[] frame = new byte[FrameLayout.FrameSize(5)];
        Span<byte> body = frame.AsSpan(FrameLayout.HeaderSize);
        body[0] = SessionKind;
        BinaryPrimitives.WriteInt32LittleEndian(body[1..], session);
        FrameLayout.Seal(frame);
        return frame;
    }

    /// <summary>Encodes a commit record as a whole frame.</summary>
    public static byte[] EncodeCommit(in TransactionRecord record)
    {
        int length = 1 + 8 + 4 + 4;
        foreach (TopicPart part in record.Parts)
        {
            length += 1 + NameBytes(part.Topic) + 4;
        }

        foreach (TransactionOffset offset in record.Offsets)
        {
            length += 1 + NameBytes(offset.Topic) + 1 + NameBytes(offset.GroupId) + 4 + 8;
        }

        byte[] frame = new byte[FrameLayout.FrameSize(length)];
        Span<byte> body = frame.AsSpan(FrameLayout.HeaderSize);
        body[0] = CommitKind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], record.Transaction);
        int at = 9;
        BinaryPrimitives.WriteInt32LittleEndian(body[at..], record.Parts.Count);
        at += 4;
        foreach (TopicPart part in record.Parts)
        {
            at = WriteName(body, at, part.Topic);
            BinaryPrimitives.WriteInt32LittleEndian(body[at..], part.Partition);
            at += 4;
        }

        BinaryPrimitives.WriteInt32LittleEndian(body[at..], record.Offsets.Count);
        at += 4;
        foreach (TransactionOffset offset in record.Offsets)
        {
            at = WriteName(body, at, offset.Topic);
            at = WriteName(body, at, offset.GroupId);
            BinaryPrimitives.WriteInt32LittleEndian(body[at..], offset.Partition);
            BinaryPrimitives.WriteInt64LittleEndian(body[(at + 4)..], offset.Offset);
            at += 12;
        }

        FrameLayout.Seal(frame);
        return frame;
    }

    /// <summary>
    /// Decodes a frame body: a session record (<paramref name="session"/> set, <paramref name="record"/> default) or a
    /// commit record; null when well-formed, else why it is not.
    /// </summary>
    public static string? TryDecode(ReadOnlySpan<byte> body, out int session, out TransactionRecord record)
    {
        session = -1;
        record = default;
        try
        {
            if (body.Length == 5 && body[0] == SessionKind)
            {
                session = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
                return session < 0 ? $"negative session {session}" : null;
            }

            if (body.Length < 17 || body[0] != CommitKind)
            {
                return $"unknown record kind {body[0]} or length {body.Length} (1 session, 2 commit)";
            }

            long transaction = BinaryPrimitives.ReadInt64LittleEndian(body[1..]);
            int at = 9;
            int partCount = ReadCount(body, ref at);
            var parts = new List<TopicPart>(partCount);
            for (int i = 0; i < partCount; i++)
            {
                string topic = ReadName(body, ref at);
                parts.Add(new TopicPart(topic, ReadInt32(body, ref at)));
            }

            int offsetCount = ReadCount(body, ref at);
            var offsets = new List<TransactionOffset>(offsetCount);
            for (int i = 0; i < offsetCount; i++)
            {
                string topic = ReadName(body, ref at);
                string group = ReadName(body, ref at);
                int partition = ReadInt32(body, ref at);
                if (at + 8 > body.Length)
                {
                    return "an offset entry is cut short";
                }

                offsets.Add(new TransactionOffset(topic, group, partition, BinaryPrimitives.ReadInt64LittleEndian(body[at..])));
                at += 8;
            }

            if (at != body.Length)
            {
                return $"{body.Length - at} bytes after the record's last entry";
            }

            record = new TransactionRecord(transaction, parts, offsets);
            return null;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or FormatException or DecoderFallbackException or IndexOutOfRangeException)
        {
            return $"malformed record ({e.Message})";
        }
    }

    private static int NameBytes(string name)
    {
        int bytes = Utf8.GetByteCount(name);
        if (bytes is < 1 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(name), bytes, $"a name in the transaction log must be 1 to 255 UTF-8 bytes, '{name}' is {bytes}");
        }

        return bytes;
    }

    private static int WriteName(Span<byte> body, int at, string name)
    {
        int bytes = Utf8.GetBytes(name, body[(at + 1)..]);
        body[at] = (byte)bytes;
        return at + 1 + bytes;
    }

    private static string ReadName(ReadOnlySpan<byte> body, ref int at)
    {
        int bytes = body[at];
        if (bytes == 0 || at + 1 + bytes > body.Length)
        {
            throw new FormatException($"a name of {bytes} bytes at byte {at} does not fit the record");
        }

        string name = Utf8.GetString(body.Slice(at + 1, bytes));
        at += 1 + bytes;
        return name;
    }

    private static int ReadInt32(ReadOnlySpan<byte> body, ref int at)
    {
        int value = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        at += 4;
        return value;
    }

    private static int ReadCount(ReadOnlySpan<byte> body, ref int at)
    {
        int count = ReadInt32(body, ref at);
        if (count < 0 || count > body.Length)
        {
            ThrowImpossibleCount(count);
        }

        return count;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowImpossibleCount(int count) => throw new FormatException($"impossible count {count}");
}

/// <summary>One partition of one topic.</summary>
/// <param name="Topic">The topic name.</param>
/// <param name="Partition">The partition number.</param>
internal readonly record struct TopicPart(string Topic, int Partition);

/// <summary>A consumer offset a transaction committed.</summary>
/// <param name="Topic">The topic the group reads.</param>
/// <param name="GroupId">The group.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The next offset the group reads.</param>
internal readonly record struct TransactionOffset(string Topic, string GroupId, int Partition, long Offset);

/// <summary>A commit record: <paramref name="Transaction"/> is committed in each of <paramref name="Parts"/>.</summary>
/// <param name="Transaction">The transaction's number (session in the high 32 bits), or 0 for offsets only.</param>
/// <param name="Parts">The partitions whose journals hold the transaction's tagged batches.</param>
/// <param name="Offsets">The consumer offsets the transaction committed.</param>
internal readonly record struct TransactionRecord(long Transaction, IReadOnlyList<TopicPart> Parts, IReadOnlyList<TransactionOffset> Offsets);
