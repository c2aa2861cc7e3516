using System.Buffers.Binary;
using System.IO.Hashing;

namespace HotPath.Durability;

/// <summary>
/// The header at the start of every journal file: what the file is, which format version wrote it, and for a segment
/// the event size and the first offset. A file whose magic, version or checksum does not match is refused by name.
/// </summary>
/// <remarks>
/// <code>
///  0        8        10       12        16            24      25                60       64
///  +--------+--------+--------+---------+-------------+-------+-----------------+--------+
///  | magic  | format | file   | record  | base offset | flags | reserved (zero) | CRC-32 |
///  | 8 B    | u16    | kind   | size    | i64         | u8    |                 | 0..60  |
///  +--------+--------+--------+---------+-------------+-------+-----------------+--------+
/// </code>
/// Flags (segments): <see cref="FlagAfterBackgroundSeal"/>. Files written before flags existed hold zero there.
/// Little-endian. Thread-safety: stateless.
/// </remarks>
internal static class FileHeaderLayout
{
    /// <summary>Bytes of the header; data starts after it.</summary>
    public const int Size = 64;

    /// <summary>The format version this library writes and reads.</summary>
    public const ushort CurrentVersion = 1;

    private const int MagicOffset = 0;
    private const int VersionOffset = 8;
    private const int KindOffset = 10;
    private const int RecordSizeOffset = 12;
    private const int BaseOffsetOffset = 16;
    private const int FlagsOffset = 24;
    private const int CrcOffset = 60;

    /// <summary>
    /// Segment flag: the segment before this one was sealed in the background (<see cref="JournalSettings.SealInBackground"/>),
    /// so when this segment was created that one may not have reached stable storage yet: recovery may treat damage in
    /// it past the checkpoint as a torn tail. Without the flag, the segment before was forced before this one existed.
    /// </summary>
    public const byte FlagAfterBackgroundSeal = 1;

    /// <summary>"HOTPATH" and a NUL, little-endian.</summary>
    private const ulong Magic = 0x0048544150544F48;

    /// <summary>What a journal file holds.</summary>
    public enum FileKind : ushort
    {
        /// <summary>A partition's segment: event batches.</summary>
        Segment = 1,

        /// <summary>A segment's sparse offset index.</summary>
        Index = 2,

        /// <summary>A topic's committed offsets.</summary>
        Offsets = 3,

        /// <summary>A topic's description (partitions, event type).</summary>
        Meta = 4,

        /// <summary>A durability directory's transaction log (commit records of transactions over several parts).</summary>
        Transactions = 5,
    }

    /// <summary>Writes a header into <paramref name="destination"/> (at least <see cref="Size"/> bytes).</summary>
    public static void Write(Span<byte> destination, FileKind kind, int recordSize, long baseOffset, byte flags = 0)
    {
        Span<byte> header = destination[..Size];
        header.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[KindOffset..], (ushort)kind);
        BinaryPrimitives.WriteInt32LittleEndian(header[RecordSizeOffset..], recordSize);
        BinaryPrimitives.WriteInt64LittleEndian(header[BaseOffsetOffset..], baseOffset);
        header[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt32LittleEndian(header[CrcOffset..], Crc32.HashToUInt32(header[..CrcOffset]));
    }

    /// <summary>The flags of a header that <see cref="Read"/> accepted.</summary>
    public static byte ReadFlags(ReadOnlySpan<byte> header) => header[FlagsOffset];

    /// <summary>
    /// Checks the header of <paramref name="path"/> (its first bytes in <paramref name="source"/>): a
    /// <see cref="JournalException"/> for a file of another kind or format version, a
    /// <see cref="JournalCorruptionException"/> for a damaged header. Returns the record size and the base offset.
    /// </summary>
    public static (int RecordSize, long BaseOffset) Read(ReadOnlySpan<byte> source, string path, FileKind expected)
    {
        if (source.Length < Size)
        {
            throw new JournalCorruptionException(path, 0, $"the file is {source.Length} bytes long, shorter than its {Size}-byte header");
        }

        ReadOnlySpan<byte> header = source[..Size];
        if (BinaryPrimitives.ReadUInt64LittleEndian(header[MagicOffset..]) != Magic)
        {
            throw new JournalException(path, $"'{path}' is not a HotPath journal file (its first 8 bytes are not the HotPath magic): move it out of the journal directory");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[VersionOffset..]);
        if (version != CurrentVersion)
        {
            throw new JournalException(path, $"'{path}' has journal format version {version}; this HotPath reads version {CurrentVersion} only: open it with the version that wrote it");
        }

        if (Crc32.HashToUInt32(header[..CrcOffset]) != BinaryPrimitives.ReadUInt32LittleEndian(header[CrcOffset..]))
        {
            throw new JournalCorruptionException(path, 0, "the file header's checksum does not match");
        }

        var kind = (FileKind)BinaryPrimitives.ReadUInt16LittleEndian(header[KindOffset..]);
        if (kind != expected)
        {
            throw new JournalException(path, $"'{path}' is a {kind} file where a {expected} file was expected: move it out of the journal directory");
        }

        return (BinaryPrimitives.ReadInt32LittleEndian(header[RecordSizeOffset..]), BinaryPrimitives.ReadInt64LittleEndian(header[BaseOffsetOffset..]));
    }
}
