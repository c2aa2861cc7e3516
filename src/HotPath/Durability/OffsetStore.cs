using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// The committed offsets of every consumer group of one topic, kept in <c>offsets.log</c>: a journal of commit records
/// (<see cref="OffsetRecordLayout"/>), read back into a map when opened and compacted to the live map when it grows.
/// </summary>
/// <remarks>
/// <para>
/// Design: one lock guards every member; in practice one journaller thread appends. <see cref="Append"/> writes one
/// frame for all its entries, so after a crash the file holds all of them or none (a frame cut short fails its length
/// or checksum). <see cref="Open"/> reads every frame: a bad frame with no valid record after it is a torn tail (the
/// crash interrupted the last write), truncated and reported in <see cref="Recovery"/>; a bad frame followed by a valid
/// one is damage inside written data, refused with a <see cref="JournalCorruptionException"/>.
/// </para>
/// <para>
/// Compaction: when the file exceeds both the compaction size and four times the live map written as records, the live
/// map is written to <c>offsets.log.compact</c>, synced and renamed over <c>offsets.log</c> (<see cref="AtomicFile"/>):
/// a crash leaves the old file or the new one, whole. A side file found by <see cref="Open"/> never replaced the log, so
/// it is deleted. A write the operating system refused leaves the file in an unknown state: the store then refuses
/// further appends until it is reopened, whose recovery truncates the partial frame.
/// </para>
/// <para>Thread-safety: every member may be called from any thread.</para>
/// </remarks>
internal sealed class OffsetStore : IDisposable
{
    /// <summary>The log's file name.</summary>
    public const string FileName = "offsets.log";

    /// <summary>The side file a compaction writes before renaming it over the log.</summary>
    public const string CompactFileName = "offsets.log.compact";

    private const int StreamBufferBytes = 64 * 1024;

    private readonly object _lock = new();
    private readonly string _compactPath;
    private readonly long _compactBytes;
    private readonly Dictionary<(string GroupId, int Partition), long> _committed = [];
    private FileStream _stream;
    private byte[] _buffer = new byte[256];
    private long _fileBytes;
    private long _liveEntryBytes;
    private long _compactions;
    private Exception? _failure;
    private bool _disposed;

    private OffsetStore(string path, string compactPath, long compactBytes, FileStream stream)
    {
        Path = path;
        _compactPath = compactPath;
        _compactBytes = compactBytes;
        _stream = stream;
        Recovery = new OffsetRecovery(path, 0, 0, 0, -1, null, false);
    }

    /// <summary>What <see cref="Open"/> found: records read, live entries, a truncated torn tail.</summary>
    public OffsetRecovery Recovery { get; private set; }

    /// <summary>The log's path, <c>directory/offsets.log</c>.</summary>
    public string Path { get; }

    /// <summary>The bytes of the log, including those appended but not yet flushed.</summary>
    public long FileBytes
    {
        get { lock (_lock) { return _fileBytes; } }
    }

    /// <summary>The compactions this instance ran.</summary>
    public long Compactions
    {
        get { lock (_lock) { return _compactions; } }
    }

    /// <summary>
    /// Opens the log in <paramref name="directory"/> (created when missing), reading it back: a torn tail is truncated
    /// and reported, damage before valid records throws <see cref="JournalCorruptionException"/>, a compaction's leftover
    /// side file is deleted. <paramref name="compactBytes"/> is the size below which the log is never compacted.
    /// </summary>
    public static OffsetStore Open(string directory, long compactBytes = 1 << 20)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            ThrowHelper.Argument(nameof(directory), $"{nameof(directory)} must name a directory, was '{directory}'");
        }

        if (compactBytes < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(compactBytes), "must be at least 1", compactBytes);
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        string compactPath = path[..^FileName.Length] + CompactFileName;
        FileStream stream;
        bool staleDeleted;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            staleDeleted = AtomicFile.DeleteStale(compactPath);
            if (!File.Exists(path))
            {
                byte[] header = new byte[FileHeaderLayout.Size];
                FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Offsets, 0, 0);
                AtomicFile.Replace(path, compactPath, header);
            }

            stream = OpenLog(path);
        }
        catch (Exception e) when (OsError.IsFileError(e) && e is not JournalException)
        {
            throw new JournalException(path, $"cannot open the offsets log '{path}': {OsError.Describe(e)}; make '{directory}' writable by this process", e);
        }

        var store = new OffsetStore(path, compactPath, compactBytes, stream);
        try
        {
            OffsetLogScan.Result scan = OffsetLogScan.Recover(stream, path, store.Apply);
            store._fileBytes = scan.ValidBytes;
            stream.Seek(scan.ValidBytes, SeekOrigin.Begin);
            store.Recovery = new OffsetRecovery(path, scan.RecordsRead, store._committed.Count, scan.TornBytes, scan.TornPosition, scan.TornReason, staleDeleted);
            return store;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the committed offset of <paramref name="groupId"/> on <paramref name="partition"/>, if any.</summary>
    public bool TryGetCommitted(string groupId, int partition, out long offset)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        lock (_lock)
        {
            return _committed.TryGetValue((groupId, partition), out offset);
        }
    }

    /// <summary>A copy of every committed offset.</summary>
    public IReadOnlyDictionary<(string GroupId, int Partition), long> Snapshot()
    {
        lock (_lock)
        {
            return new Dictionary<(string GroupId, int Partition), long>(_committed);
        }
    }

    /// <summary>
    /// Appends one record carrying every entry of <paramref name="entries"/> (none: nothing is written): after a crash
    /// all of them or none are in the log. The last write of a (group, partition) wins, even when lower (a seek back).
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the entry for a group id outside 1 to 255 UTF-8 bytes, or
    /// a negative partition or offset, before writing anything.
    /// </summary>
    public void Append(ReadOnlySpan<OffsetEntry> entries)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            if (entries.IsEmpty)
            {
                return;
            }

            int frameBytes = OffsetRecordLayout.Measure(entries);
            if (_buffer.Length < frameBytes)
            {
                _buffer = new byte[Math.Max(frameBytes, _buffer.Length * 2)];
            }

            Span<byte> frame = _buffer.AsSpan(0, frameBytes);
            OffsetRecordLayout.Encode(frame, entries, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            try
            {
                _stream.Write(_buffer, 0, frameBytes);
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                throw Failed(e);
            }

            _fileBytes += frameBytes;
            foreach (OffsetEntry entry in entries)
            {
                Apply(entry);
            }

            if (_fileBytes > Math.Max(_compactBytes, 4 * OffsetRecordLayout.LiveBytes(_committed.Count, _liveEntryBytes)))
            {
                Compact();
            }
        }
    }

    /// <summary>Hands the appended records to the operating system: they survive a crash of the process.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            try
            {
                _stream.Flush();
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                throw Failed(e);
            }
        }
    }

    /// <summary>Flushes and forces the log to stable storage (fsync): the records survive a power loss.</summary>
    public void Sync()
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            try
            {
                _stream.Flush();
                RandomAccess.FlushToDisk(_stream.SafeFileHandle);
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                throw Failed(e);
            }
        }
    }

    /// <summary>Flushes and closes the log. Idempotent.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                if (_failure is null)
                {
                    _stream.Flush();
                }
            }
            finally
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>Records a committed offset read back or appended; called under the lock or before the store is shared.</summary>
    private void Apply(OffsetEntry entry)
    {
        if (entry.Offset == OffsetEntry.Deleted)
        {
            // A tombstone; compaction writes live entries only, so it goes with the next compaction.
            if (_committed.Remove((entry.GroupId, entry.Partition)))
            {
                _liveEntryBytes -= OffsetRecordLayout.EntrySize(OffsetRecordLayout.Utf8.GetByteCount(entry.GroupId));
            }

            return;
        }

        if (_committed.TryAdd((entry.GroupId, entry.Partition), entry.Offset))
        {
            _liveEntryBytes += OffsetRecordLayout.EntrySize(OffsetRecordLayout.Utf8.GetByteCount(entry.GroupId));
        }
        else
        {
            _committed[(entry.GroupId, entry.Partition)] = entry.Offset;
        }
    }

    private static FileStream OpenLog(string path) =>
        new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, StreamBufferBytes);

    private void Compact()
    {
        var live = new OffsetEntry[_committed.Count];
        int i = 0;
        foreach (KeyValuePair<(string GroupId, int Partition), long> pair in _committed)
        {
            live[i++] = new OffsetEntry(pair.Key.GroupId, pair.Key.Partition, pair.Value);
        }

        byte[] content = OffsetRecordLayout.EncodeFile(live, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        try
        {
            _stream.Flush();
            _stream.Dispose();
            try
            {
                AtomicFile.Replace(Path, _compactPath, content);
            }
            finally
            {
                _stream = OpenLog(Path);
            }

            _fileBytes = _stream.Seek(0, SeekOrigin.End);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw Failed(e);
        }

        _compactions++;
    }

    private JournalException Failed(Exception e)
    {
        _failure = e;
        return e as JournalException
            ?? new JournalException(Path, $"writing the offsets log '{Path}' failed: {OsError.Describe(e)}; the store refuses further appends: reopen it (recovery truncates a partial record)", e);
    }

    private void ThrowIfUnusable()
    {
        if (_disposed)
        {
            ThrowHelper.ObjectDisposed(nameof(OffsetStore));
        }

        if (_failure is not null)
        {
            throw new JournalException(Path, $"an earlier write to the offsets log '{Path}' failed ({OsError.Describe(_failure)}): reopen the store (recovery truncates a partial record)", _failure);
        }
    }
}
