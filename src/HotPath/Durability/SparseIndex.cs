using System.Diagnostics;

namespace HotPath.Durability;

/// <summary>
/// A segment's sparse offset index in memory: ascending (offset, file position) entries, one per
/// <see cref="JournalSettings.IndexIntervalBytes"/> of segment data, searched by offset.
/// </summary>
/// <remarks>
/// Design: one writer (the appender, or recovery before the journal is shared) adds entries at the end; readers on any
/// thread search concurrently. The writer stores the entry, then releases <see cref="_count"/>; when the array is full
/// it publishes a larger copy before the new count. A reader acquires the count first, then the array: the array it sees
/// is at least as new as the one the count was published with (arrays only grow), so every entry below the count is
/// there and whole.
/// </remarks>
internal sealed class SparseIndex
{
    /// <summary>Written by the appender only; readers acquire it (see the design).</summary>
    private Entry[] _entries;

    /// <summary>Entries published; released by the appender after each entry, acquired by readers.</summary>
    private int _count;

    /// <summary>Creates an index with room for <paramref name="capacity"/> entries before it grows.</summary>
    public SparseIndex(int capacity) => _entries = new Entry[Math.Max(capacity, 4)];

    /// <summary>Entries published. Thread-safety: any thread.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The file position of the last entry, or -1 when there is none. Thread-safety: the writer.</summary>
    public long LastPosition => _count == 0 ? -1 : _entries[_count - 1].Position;

    /// <summary>The offset of the last entry, or -1 when there is none. Thread-safety: the writer.</summary>
    public long LastOffset => _count == 0 ? -1 : _entries[_count - 1].Offset;

    /// <summary>The entry at <paramref name="index"/> (below <see cref="Count"/>). Thread-safety: the writer.</summary>
    public Entry this[int index] => _entries[index];

    /// <summary>Adds an entry after the last one. Thread-safety: the writer only.</summary>
    public void Add(long offset, long position)
    {
        int count = _count;
        Debug.Assert(count == 0 || (offset > _entries[count - 1].Offset && position > _entries[count - 1].Position), "entries ascend");
        Entry[] entries = _entries;
        if (count == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);

            // Release: the larger copy is published before the count that needs it (paired with Find's acquire of the
            // array after the count); the old array stays valid for readers that still hold it.
            Volatile.Write(ref _entries, entries);
        }

        entries[count] = new Entry(offset, position);

        // Release: the entry is stored before it is counted (paired with Find's acquire of the count); flipped, a reader
        // could search an entry of zeros.
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Drops every entry (the writer rebuilds the index). Thread-safety: the writer, before readers exist.</summary>
    public void Clear() => Volatile.Write(ref _count, 0);

    /// <summary>
    /// The last entry whose offset is at most <paramref name="offset"/>, or false when there is none (an offset before
    /// the first entry, or an empty index). Thread-safety: any thread.
    /// </summary>
    public bool TryFind(long offset, out Entry entry)
    {
        // Acquire the count, then the array (see the design): the array holds at least count entries.
        int count = Volatile.Read(ref _count);
        Entry[] entries = Volatile.Read(ref _entries);
        int low = 0;
        int high = count - 1;
        int found = -1;
        while (low <= high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (entries[mid].Offset <= offset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        entry = found < 0 ? default : entries[found];
        return found >= 0;
    }

    /// <summary>One index entry: the offset a frame starts with and the frame's byte position in the segment.</summary>
    /// <param name="Offset">The base offset of the batch in the frame.</param>
    /// <param name="Position">The frame's byte position in the segment file.</param>
    public readonly record struct Entry(long Offset, long Position);
}
