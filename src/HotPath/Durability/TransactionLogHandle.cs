namespace HotPath.Durability;

/// <summary>
/// A durable topic's reference to its directory's <see cref="TransactionLog"/>: acquired on the first transaction over
/// this topic that needs it (or a deletion of stored offsets); released when the topic closes. Topics that never take
/// part in a transaction over several parts never create or lock the log (their recovery reads it without its lock).
/// </summary>
/// <remarks>
/// On the first acquisition the log learns that this topic's partitions were recovered: every committed transaction
/// they held got its end marker then (rolled forward), so no pending record needs them any more
/// (<see cref="TransactionLog.ResolveAll"/>). No record of this process can involve the topic before that point: each
/// one's commit acquires the log through the handle of every topic it spans first.
/// </remarks>
/// <remarks>Thread-safety: any thread.</remarks>
internal sealed class TransactionLogHandle
{
    private readonly object _lock = new();
    private TransactionLog? _log;
    private bool _released;

    private readonly string _topic;
    private readonly int _partitions;

    public TransactionLogHandle(string root, string topic, int partitions)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _topic = topic;
        _partitions = partitions;
    }

    /// <summary>The durability directory (full path): transactions span only topics of one directory.</summary>
    public string Root { get; }

    /// <summary>The log, acquired (and created when missing) on the first call. A <see cref="JournalException"/> when it cannot be opened.</summary>
    public TransactionLog Get()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            if (_log is null)
            {
                _log = TransactionLog.Acquire(Root);
                for (int i = 0; i < _partitions; i++)
                {
                    _log.ResolveAll(new TopicPart(_topic, i));
                }
            }

            return _log;
        }
    }

    /// <summary>The log when this directory has one (acquiring it), else null.</summary>
    public TransactionLog? GetIfExists() => TransactionLog.ExistsUnder(Root) ? Get() : null;

    /// <summary>Releases the reference, if one was taken. Idempotent.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _released = true;
            _log?.Release();
            _log = null;
        }
    }
}
