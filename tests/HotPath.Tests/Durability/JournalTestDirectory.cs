using System.Buffers.Binary;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// A unique temporary partition directory, deleted on dispose, and the helpers the journal tests share: events whose
/// bytes are derived from their offset, and reading a whole journal back as (offset, payload or gap) entries.
/// </summary>
internal sealed class JournalTestDirectory : IDisposable
{
    public const int EventSize = 16;

    public JournalTestDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "hotpath-journal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Partition = Path.Combine(Root, "p0");
    }

    /// <summary>The directory that exists (the partition directory's parent).</summary>
    public string Root { get; }

    /// <summary>The partition directory (created by the journal).</summary>
    public string Partition { get; }

    public string SegmentPath(long baseOffset) => Path.Combine(Partition, SegmentLayout.SegmentFileName(baseOffset));

    public PartitionJournal Open(
        long segmentBytes = 1 << 20, int indexIntervalBytes = 4096, TimeProvider? time = null, bool sealInBackground = false, int chunkBytes = JournalStaging.DefaultChunkBytes) =>
        PartitionJournal.Open(
            Partition, EventSize, new JournalSettings(segmentBytes, indexIntervalBytes) { Time = time ?? TimeProvider.System, SealInBackground = sealInBackground, ChunkBytes = chunkBytes });

    /// <summary>Inverts the byte at <paramref name="position"/> of <paramref name="path"/> (damage a checksum finds).</summary>
    public static void FlipByte(string path, long position)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        int value = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(value ^ 0xFF));
    }

    /// <summary>The bytes of <paramref name="count"/> events from <paramref name="first"/>: each holds its offset and a salt.</summary>
    public static byte[] Events(long first, int count, long salt = 0)
    {
        byte[] bytes = new byte[count * EventSize];
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * EventSize), first + i);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i * EventSize) + 8), salt ^ ((first + i) * 31));
        }

        return bytes;
    }

    /// <summary>Reads every offset of [StartOffset, FlushedEnd): a payload per event offset, null per gap offset; and the runs.</summary>
    public static (List<byte[]?> Entries, List<JournalRun> Runs) ReadAll(PartitionJournal journal, int bufferEvents = 64)
    {
        var entries = new List<byte[]?>();
        var runs = new List<JournalRun>();
        byte[] buffer = new byte[bufferEvents * EventSize];
        long offset = journal.StartOffset;
        while (offset < journal.FlushedEnd)
        {
            JournalRun run = journal.Read(offset, buffer);
            Assert.Equal(offset, run.First);
            Assert.True(run.Count >= 1);
            runs.Add(run);
            for (int i = 0; i < run.Count; i++)
            {
                entries.Add(run.IsGap ? null : buffer.AsSpan(i * EventSize, EventSize).ToArray());
            }

            offset += run.Count;
        }

        return (entries, runs);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a failed test: leave it to the temp cleaner rather than hide the test's own failure.
        }
    }
}
