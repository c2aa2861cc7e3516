using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// One segment of a partition's journal: its data file and index file (open for the journal's lifetime), its base
/// offset, the in-memory sparse index, and the appender's view of its length, end and last batch time.
/// </summary>
/// <remarks>
/// Thread-safety: the handles, paths, base offset and <see cref="Index"/> may be used by readers on any thread;
/// <see cref="Length"/>, <see cref="EndOffset"/>, <see cref="LastTimestampMs"/> and index persistence belong to the
/// appender (and to recovery before the journal is shared).
/// </remarks>
internal sealed class JournalSegment : IDisposable
{
    private int _persistedEntries;

    /// <summary>Wraps open files; <paramref name="persistedEntries"/> of <paramref name="index"/> are already in the index file.</summary>
    public JournalSegment(string path, string indexPath, long baseOffset, SafeFileHandle data, SafeFileHandle indexFile, SparseIndex index, int persistedEntries)
    {
        Path = path;
        IndexPath = indexPath;
        BaseOffset = baseOffset;
        Data = data;
        IndexFile = indexFile;
        Index = index;
        _persistedEntries = persistedEntries;
        EndOffset = baseOffset;
        Length = FileHeaderLayout.Size;
    }

    /// <summary>
    /// True while the data file holds blocks reserved past its end (<see cref="DurabilityOptions.PreallocateSegments"/>),
    /// until <see cref="ReleasePreallocation"/>; set for a recovered last segment, which a crash may have left so. Appender.
    /// </summary>
    public bool IsPreallocated { get; set; }

    /// <summary>The data file's full path.</summary>
    public string Path { get; }

    /// <summary>The index file's full path.</summary>
    public string IndexPath { get; }

    /// <summary>The first offset of the segment.</summary>
    public long BaseOffset { get; }

    /// <summary>The data file.</summary>
    public SafeFileHandle Data { get; }

    /// <summary>The index file.</summary>
    public SafeFileHandle IndexFile { get; }

    /// <summary>The sparse index in memory (the index file's entries plus those not yet persisted).</summary>
    public SparseIndex Index { get; }

    /// <summary>The segment's bytes, header included, counting batches staged but not yet written. Appender.</summary>
    public long Length { get; set; }

    /// <summary>The offset after the segment's last batch. Appender.</summary>
    public long EndOffset { get; set; }

    /// <summary>The timestamp of the segment's last batch (unix ms), or long.MinValue when it has none. Appender.</summary>
    public long LastTimestampMs { get; set; } = long.MinValue;

    /// <summary>True when the segment holds at least one batch.</summary>
    public bool HasBatches => Length > FileHeaderLayout.Size;

    /// <summary>Creates the data and index files of a new, empty segment, each with its header (the data file's with <paramref name="flags"/>).</summary>
    public static JournalSegment Create(string directory, long baseOffset, int eventSize, int indexCapacity, byte flags = 0, long preallocateBytes = 0)
    {
        string path = System.IO.Path.Combine(directory, SegmentLayout.SegmentFileName(baseOffset));
        string indexPath = System.IO.Path.Combine(directory, SegmentLayout.IndexFileName(baseOffset));
        Span<byte> header = stackalloc byte[FileHeaderLayout.Size];
        SafeFileHandle data = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        SafeFileHandle indexFile;
        bool preallocated;
        try
        {
            FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Segment, eventSize, baseOffset, flags);
            RandomAccess.Write(data, header, 0);
            preallocated = preallocateBytes > 0 && Preallocate(data, preallocateBytes);
            indexFile = File.OpenHandle(indexPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        }
        catch
        {
            data.Dispose();
            throw;
        }

        try
        {
            FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Index, eventSize, baseOffset);
            RandomAccess.Write(indexFile, header, 0);
        }
        catch
        {
            data.Dispose();
            indexFile.Dispose();
            throw;
        }

        return new JournalSegment(path, indexPath, baseOffset, data, indexFile, new SparseIndex(indexCapacity), 0) { IsPreallocated = preallocated };
    }

    /// <summary>Writes the index entries not yet in the index file, in chunks of a stack buffer (no allocation). Appender.</summary>
    public void PersistIndex()
    {
        int count = Index.Count;
        Span<byte> chunk = stackalloc byte[32 * SegmentLayout.IndexEntrySize];
        while (_persistedEntries < count)
        {
            int n = Math.Min(count - _persistedEntries, 32);
            for (int i = 0; i < n; i++)
            {
                SparseIndex.Entry entry = Index[_persistedEntries + i];
                SegmentLayout.WriteIndexEntry(chunk[(i * SegmentLayout.IndexEntrySize)..], entry.Offset, entry.Position);
            }

            long position = FileHeaderLayout.Size + ((long)_persistedEntries * SegmentLayout.IndexEntrySize);
            RandomAccess.Write(IndexFile, chunk[..(n * SegmentLayout.IndexEntrySize)], position);
            _persistedEntries += n;
        }
    }

    /// <summary>Drops every index entry, in memory and in the index file (its header stays), to rebuild it. Recovery.</summary>
    public void ResetIndex()
    {
        Index.Clear();
        _persistedEntries = 0;
        RandomAccess.SetLength(IndexFile, FileHeaderLayout.Size);
    }

    /// <summary>
    /// Gives back the blocks reserved past the data file's end, if any: the file is truncated to its own size (which
    /// changes no byte of it; on Linux file systems a truncation frees the blocks past the new end). Appender, when the
    /// journal closes.
    /// </summary>
    /// <exception cref="IOException">The operating system refused the truncation (the caller names the file).</exception>
    public void ReleasePreallocation()
    {
        if (IsPreallocated)
        {
            TruncateToOwnLength(Data);
            IsPreallocated = false;
        }
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> of disk blocks for <paramref name="data"/> without changing its size, so that
    /// writes into them skip the file system's allocation per block (ext4's delayed allocation: a journal with sync None
    /// wrote 29% faster into a reserved 64 MiB segment). Linux only; where the file system cannot (or has no room for a
    /// whole segment: what it reserved is given back), false, and the file grows as it is written, as without the option.
    /// </summary>
    private static bool Preallocate(SafeFileHandle data, long bytes)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            // The binding passes 64-bit offsets, which a 32-bit glibc's fallocate does not take.
            return false;
        }

        if (LinuxFileInterop.Fallocate(data, LinuxFileInterop.KeepSize, 0, bytes) == 0)
        {
            return true;
        }

        // A refusal for want of room may keep what it reserved before it ran out (ext4 does): give that back now, or
        // the file would hold space no one releases while the disk is full.
        TruncateToOwnLength(data);
        return false;
    }

    /// <summary>Truncates <paramref name="file"/> to its own length: no byte changes, blocks reserved past its end are freed.</summary>
    private static void TruncateToOwnLength(SafeFileHandle file) => RandomAccess.SetLength(file, RandomAccess.GetLength(file));

    /// <summary>Forces the data and index files to stable storage. Appender.</summary>
    public void FlushToDisk()
    {
        RandomAccess.FlushToDisk(Data);
        RandomAccess.FlushToDisk(IndexFile);
    }

    /// <summary>Closes the files, then deletes them. Appender.</summary>
    public void Delete()
    {
        Dispose();
        File.Delete(Path);
        File.Delete(IndexPath);
    }

    /// <summary>Closes the files; idempotent.</summary>
    public void Dispose()
    {
        Data.Dispose();
        IndexFile.Dispose();
    }
}
