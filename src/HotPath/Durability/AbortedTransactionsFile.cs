using System.Buffers.Binary;

namespace HotPath.Durability;

/// <summary>
/// The <c>aborted</c> file of a partition directory: the transactions whose tagged batches recovery found without an end
/// marker and that the transaction log did not record as committed. Their batches read as gaps, forever after.
/// </summary>
/// <remarks>
/// <code>
///  aborted = one frame (FrameLayout: u32 length, u32 CRC-32, body); body:
///  0               4
///  +---------------+------------------------------------+
///  | count u32     | count * transaction number i64     |
///  +---------------+------------------------------------+
/// </code>
/// A missing file is an empty set; the file is only ever replaced whole (<see cref="AtomicFile"/>), so one that is not
/// one whole frame of the right length is corruption. Entries are kept forever: 8 bytes each, and only a crash in the
/// middle of a transaction adds one. Little-endian. Thread-safety: stateless; recovery is the only writer.
/// </remarks>
internal static class AbortedTransactionsFile
{
    /// <summary>The file's name in the partition directory.</summary>
    public const string FileName = "aborted";

    /// <summary>The name the file is written under before it replaces the old one.</summary>
    public const string TempFileName = "aborted.tmp";

    private const int CountSize = 4;

    /// <summary>
    /// Reads the aborted set of <paramref name="directory"/> (empty when there is no file), deleting a side file left by
    /// a crashed replacement first. A damaged file throws <see cref="JournalCorruptionException"/> naming it.
    /// </summary>
    public static HashSet<long> Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        AtomicFile.DeleteStale(Path.Combine(directory, TempFileName));
        var aborted = new HashSet<long>();
        if (!File.Exists(path))
        {
            return aborted;
        }

        byte[] bytes = File.ReadAllBytes(path);
        FrameLayout.Status status = FrameLayout.TryRead(bytes, out ReadOnlySpan<byte> body, out int frameSize);
        if (status != FrameLayout.Status.Valid || frameSize != bytes.Length)
        {
            throw new JournalCorruptionException(path, 0, $"the aborted transactions file is not one whole frame (frame status {status}, file length {bytes.Length})");
        }

        if (body.Length < CountSize)
        {
            throw new JournalCorruptionException(path, FrameLayout.HeaderSize, $"the aborted transactions body is {body.Length} bytes, shorter than its {CountSize}-byte count");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(body);
        if (body.Length != CountSize + (8L * count))
        {
            throw new JournalCorruptionException(path, FrameLayout.HeaderSize, $"the aborted transactions body is {body.Length} bytes, which its count {count} does not account for ({CountSize + (8L * count)} bytes)");
        }

        for (int i = 0; i < count; i++)
        {
            aborted.Add(BinaryPrimitives.ReadInt64LittleEndian(body[(CountSize + (i * 8))..]));
        }

        return aborted;
    }

    /// <summary>
    /// Replaces the aborted set of <paramref name="directory"/> with <paramref name="aborted"/>, forced to stable storage
    /// before it is renamed into place; a <see cref="JournalException"/> naming the file when the operating system refuses.
    /// </summary>
    public static void Save(string directory, IReadOnlyCollection<long> aborted)
    {
        byte[] frame = new byte[FrameLayout.FrameSize(CountSize + (8 * aborted.Count))];
        Span<byte> body = frame.AsSpan(FrameLayout.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)aborted.Count);
        int at = CountSize;
        foreach (long transaction in aborted.Order())
        {
            BinaryPrimitives.WriteInt64LittleEndian(body[at..], transaction);
            at += 8;
        }

        FrameLayout.Seal(frame);
        AtomicFile.Replace(Path.Combine(directory, FileName), Path.Combine(directory, TempFileName), frame);
    }
}
