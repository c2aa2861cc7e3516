using HotPath.Internal;

namespace HotPath.Durability;

/// <summary>
/// The transaction log of one durability directory, <c>root/@transactions/transactions.log</c>: the commit records of
/// transactions whose events went to more than one partition (or that also committed consumer offsets), so that such a
/// transaction survives a crash whole or not at all (Kafka's transaction coordinator log, in process).
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> Each partition's journaller writes a transaction's events as tagged batches; once every part
/// is in the journals (flushed, or synced per policy) the last one writes the transaction's commit record here
/// (<see cref="Commit"/>); only then are its events acknowledged, and each journaller writes the transaction's end marker
/// into its partition and reports it (<see cref="Resolve"/>). Recovery of a partition asks <see cref="IsCommitted"/>
/// for every tagged transaction without an end marker: committed means rolled forward, anything else aborted. A record is
/// therefore kept until every part reported its end marker, across restarts too (records carried into the next session
/// are resolved by each partition's recovery, <see cref="ResolveAll"/>).</para>
/// <para><b>Numbers.</b> A transaction's number is the session (one per open of the log, persisted) in the high 32 bits
/// and a counter in the low ones: a number left in a journal by a crashed session is never reused.</para>
/// <para><b>File.</b> A 64-byte header, then CRC-framed records (<see cref="TransactionRecordLayout"/>). Each open
/// rewrites the file whole (<see cref="AtomicFile"/>): the new session, the records still pending, the latest consumer
/// offsets; so does a compaction when the appended records pass <see cref="CompactBytes"/>. A torn last record (a crash
/// during its write) is dropped: its transaction was never acknowledged. A bad frame followed by a valid record is
/// corruption and refused.</para>
/// <para><b>Sharing.</b> One instance per directory in a process (<see cref="Acquire"/>/<see cref="Release"/>, counted),
/// holding the directory's lock: a second process using transactions in the same durability directory is refused.</para>
/// <para>Thread-safety: every member from any thread; one lock serialises them (off the per-event path: once per
/// transaction).</para>
/// </remarks>
internal sealed class TransactionLog
{
    /// <summary>The log's directory under the durability root (not a valid topic name).</summary>
    public const string DirectoryName = "@transactions";

    /// <summary>The log's file name.</summary>
    public const string FileName = "transactions.log";

    /// <summary>Appended bytes after which the log is rewritten with the pending records only.</summary>
    public const long CompactBytes = 4L << 20;

    private static readonly object s_registryLock = new();
    private static readonly Dictionary<string, TransactionLog> s_open = new(StringComparer.Ordinal);

    private readonly object _lock = new();
    private readonly string _directory;
    private readonly string _sidePath;
    private readonly TransactionLogState _state = new();
    private FileStream? _lockStream;
    private FileStream _stream;
    private long _appended;
    private long _sequence;
    private int _references;
    private Exception? _failure;

    private TransactionLog(string directory, FileStream lockStream, int session, FileStream stream)
    {
        _directory = directory;
        _lockStream = lockStream;
        Path = System.IO.Path.Combine(directory, FileName);
        _sidePath = Path + ".tmp";
        Session = session;
        _stream = stream;
    }

    /// <summary>The log file's path.</summary>
    public string Path { get; }

    /// <summary>This open's session: the high 32 bits of its transaction numbers.</summary>
    public int Session { get; }

    /// <summary>Commit records carried over from the previous session when the log was opened.</summary>
    public int CarriedRecords { get; private set; }

    /// <summary>Records waiting for an end marker in one of their parts. Any thread (a snapshot).</summary>
    public int PendingCount
    {
        get { lock (_lock) { return _state.Pending.Count; } }
    }

    /// <summary>
    /// Reads <paramref name="root"/>'s log without taking its lock (null when there is none), for a topic's recovery: a
    /// record about a transaction over this topic was written by a process that held the topic, so it is in the file
    /// (whole: written before that process released the topic, or torn and never acknowledged); a process holding the
    /// log now only appends records about topics it holds, or replaces the file whole by a rename.
    /// </summary>
    public static TransactionLogState? ReadSnapshot(string root)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetFullPath(root), DirectoryName, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var state = new TransactionLogState();
        try
        {
            foreach (TransactionRecord record in new TransactionLogScan(path).Records)
            {
                state.Apply(record);
            }
        }
        catch (Exception e) when (OsError.IsFileError(e) && e is not JournalException)
        {
            throw new JournalException(path, $"cannot read the transaction log '{path}': {OsError.Describe(e)}", e);
        }

        return state;
    }

    /// <summary>True when <paramref name="root"/> holds a transaction log (transactions were committed there once).</summary>
    public static bool ExistsUnder(string root) =>
        File.Exists(System.IO.Path.Combine(System.IO.Path.GetFullPath(root), DirectoryName, FileName));

    /// <summary>
    /// The log of <paramref name="root"/> (opened, and created when missing, by the first caller in this process; each
    /// call must be paired with <see cref="Release"/>). A <see cref="JournalException"/> when another process holds it or
    /// the file cannot be read or written; a <see cref="JournalCorruptionException"/> for damage before a valid record.
    /// </summary>
    public static TransactionLog Acquire(string root)
    {
        string directory = System.IO.Path.Combine(System.IO.Path.GetFullPath(root), DirectoryName);
        lock (s_registryLock)
        {
            if (!s_open.TryGetValue(directory, out TransactionLog? log))
            {
                log = Open(directory);
                s_open[directory] = log;
            }

            log._references++;
            return log;
        }
    }

    /// <summary>Gives back a reference from <see cref="Acquire"/>; the last one closes the file and releases the lock.</summary>
    public void Release()
    {
        lock (s_registryLock)
        {
            if (--_references > 0)
            {
                return;
            }

            s_open.Remove(_directory);
            lock (_lock)
            {
                try
                {
                    _stream.Dispose();
                }
                catch (Exception e) when (OsError.IsFileError(e))
                {
                    // Every record was flushed when it was appended: nothing is lost by a failed close.
                }

                TopicDirectory.ReleaseLock(_directory, Interlocked.Exchange(ref _lockStream, null));
            }
        }
    }

    /// <summary>The next transaction number of this session.</summary>
    public long NextTransaction()
    {
        long sequence = Interlocked.Increment(ref _sequence);
        if (sequence > uint.MaxValue)
        {
            throw new JournalException(Path, $"this session of the transaction log '{Path}' numbered {uint.MaxValue} transactions, its limit: reopen the durable topics (a new session starts)");
        }

        return ((long)Session << 32) | sequence;
    }

    /// <summary>True when <paramref name="transaction"/>'s commit record is in the log and not yet resolved everywhere.</summary>
    public bool IsCommitted(long transaction)
    {
        lock (_lock)
        {
            return _state.IsCommitted(transaction);
        }
    }

    /// <summary>
    /// Appends <paramref name="record"/>'s commit record, flushed to the operating system and, with
    /// <paramref name="sync"/>, forced to stable storage: on return the transaction is committed durably (per policy).
    /// A <see cref="JournalException"/> naming the file when the write fails (then the log refuses further commits).
    /// </summary>
    public void Commit(in TransactionRecord record, bool sync)
    {
        byte[] frame = TransactionRecordLayout.EncodeCommit(record);
        lock (_lock)
        {
            ThrowIfFailed();
            try
            {
                _stream.Write(frame);
                _stream.Flush();
                if (sync)
                {
                    RandomAccess.FlushToDisk(_stream.SafeFileHandle);
                }
            }
            catch (Exception e) when (OsError.IsFileError(e))
            {
                _failure = e;
                throw new JournalException(Path, $"cannot write the transaction log '{Path}': {OsError.Describe(e)}; transaction {record.Transaction} is not committed durably; free space, then reopen the topics", e);
            }

            Apply(record);
            _appended += frame.Length;
            if (_appended > CompactBytes)
            {
                try
                {
                    Compact();
                }
                catch (JournalException)
                {
                    // This record is in the log (written and flushed, or synced, above): it stands. The failure is kept in
                    // _failure, so the next commit throws it (and fails its journaller) instead of this one.
                }
            }
        }
    }

    /// <summary><paramref name="part"/> holds <paramref name="transaction"/>'s end marker (durably, per policy).</summary>
    public void Resolve(long transaction, TopicPart part)
    {
        lock (_lock)
        {
            if (_state.Pending.TryGetValue(transaction, out HashSet<TopicPart>? parts) && parts.Remove(part) && parts.Count == 0)
            {
                _state.Pending.Remove(transaction);
            }
        }
    }

    /// <summary>
    /// <paramref name="part"/> was recovered: every committed transaction it holds has its end marker now (rolled
    /// forward), so no pending record needs it any more.
    /// </summary>
    public void ResolveAll(TopicPart part)
    {
        lock (_lock)
        {
            List<long>? done = null;
            foreach ((long transaction, HashSet<TopicPart> parts) in _state.Pending)
            {
                if (parts.Remove(part) && parts.Count == 0)
                {
                    (done ??= []).Add(transaction);
                }
            }

            foreach (long transaction in done ?? [])
            {
                _state.Pending.Remove(transaction);
            }
        }
    }

    /// <summary>The latest consumer offsets that transactions committed on <paramref name="topic"/>'s partitions.</summary>
    public IReadOnlyList<TransactionOffset> OffsetsOf(string topic)
    {
        lock (_lock)
        {
            return _state.OffsetsOf(topic);
        }
    }

    /// <summary>
    /// Deletes the offsets transactions committed for <paramref name="groupId"/> on <paramref name="topic"/> (a record
    /// of tombstones, forced to stable storage). Returns the partitions it had offsets for.
    /// </summary>
    public IReadOnlyList<int> DeleteOffsets(string topic, string groupId) => DeleteOffsetsWhere(topic, groupId, static (_, _) => true);

    /// <summary>
    /// Deletes the offset transactions committed for <paramref name="groupId"/> on <paramref name="partition"/> of
    /// <paramref name="topic"/> when it is above <paramref name="offset"/> (a tombstone, forced to stable storage): the
    /// group moved back below it (a seek), and its stored offset must be the one it committed last, not the larger.
    /// Returns true when there was one.
    /// </summary>
    public bool DeleteOffsetAbove(string topic, string groupId, int partition, long offset) =>
        DeleteOffsetsWhere(topic, groupId, (p, stored) => p == partition && stored > offset).Count > 0;

    /// <summary>Tombstones, in one record forced to stable storage, the group's offsets on the topic that <paramref name="delete"/> picks (partition, offset).</summary>
    private List<int> DeleteOffsetsWhere(string topic, string groupId, Func<int, long, bool> delete)
    {
        lock (_lock)
        {
            var tombstones = new List<TransactionOffset>();
            foreach (KeyValuePair<(string Topic, string GroupId, int Partition), long> stored in _state.Offsets)
            {
                if (stored.Key.Topic == topic && stored.Key.GroupId == groupId && delete(stored.Key.Partition, stored.Value))
                {
                    tombstones.Add(new TransactionOffset(topic, groupId, stored.Key.Partition, OffsetEntry.Deleted));
                }
            }

            if (tombstones.Count > 0)
            {
                Commit(new TransactionRecord(0, [], tombstones), sync: true);
            }

            return [.. tombstones.Select(t => t.Partition)];
        }
    }

    private static TransactionLog Open(string directory)
    {
        string? parent = System.IO.Path.GetDirectoryName(directory);
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new JournalException(directory, $"cannot create the transaction log in '{directory}': its parent '{parent}' does not exist");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            throw new JournalException(directory, $"cannot create the transaction log's directory '{directory}': {OsError.Describe(e)}; make its parent writable by this process", e);
        }

        FileStream lockStream = TopicDirectory.TakeLock(directory, "the transaction log");
        string path = System.IO.Path.Combine(directory, FileName);
        FileStream? stream = null;
        try
        {
            AtomicFile.DeleteStale(path + ".tmp");
            var loaded = new TransactionLogScan(path);
            int session = loaded.LastSession + 1;
            var log = new TransactionLog(directory, lockStream, session, null!);
            foreach (TransactionRecord record in loaded.Records)
            {
                log.Apply(record);
            }

            log.CarriedRecords = log._state.Pending.Count;
            stream = log.Rewrite();
            log._stream = stream;
            return log;
        }
        catch (Exception e)
        {
            stream?.Dispose();
            TopicDirectory.ReleaseLock(directory, lockStream);
            if (e is JournalException || !OsError.IsFileError(e))
            {
                throw;
            }

            throw new JournalException(path, $"cannot open the transaction log '{path}': {OsError.Describe(e)}", e);
        }
    }

    /// <summary>Applies a commit record. Under the lock (or before sharing).</summary>
    private void Apply(in TransactionRecord record) => _state.Apply(record);

    /// <summary>Rewrites the file whole (header, session, pending records, offsets) and opens it for appends at its end.</summary>
    private FileStream Rewrite()
    {
        using var content = new MemoryStream();
        byte[] header = new byte[FileHeaderLayout.Size];
        FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Transactions, 0, 0);
        content.Write(header);
        content.Write(TransactionRecordLayout.EncodeSession(Session));
        foreach ((long transaction, HashSet<TopicPart> parts) in _state.Pending)
        {
            content.Write(TransactionRecordLayout.EncodeCommit(new TransactionRecord(transaction, [.. parts], [])));
        }

        List<TransactionOffset> offsets = _state.OffsetsOf(null);
        if (offsets.Count > 0)
        {
            content.Write(TransactionRecordLayout.EncodeCommit(new TransactionRecord(0, [], offsets)));
        }

        AtomicFile.Replace(Path, _sidePath, content.GetBuffer().AsSpan(0, (int)content.Length));
        var stream = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        stream.Seek(0, SeekOrigin.End);
        _appended = 0;
        return stream;
    }

    /// <summary>Rewrites the log with what is still needed. Under the lock.</summary>
    private void Compact()
    {
        try
        {
            _stream.Dispose();
            _stream = Rewrite();
        }
        catch (Exception e) when (OsError.IsFileError(e))
        {
            _failure = e;
            throw e as JournalException ?? new JournalException(Path, $"cannot compact the transaction log '{Path}': {OsError.Describe(e)}", e);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw new JournalException(Path, $"an earlier write to the transaction log '{Path}' failed ({OsError.Describe(_failure)}): reopen the durable topics", _failure);
        }
    }
}
