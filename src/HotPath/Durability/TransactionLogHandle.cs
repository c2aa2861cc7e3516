namespace HotPath.Durability;

/// <summary>
/// A durable topic's reference to its directory's <see cref="TransactionLog"/>: acquired when the topic opens if the
/// log exists (recovery asks it about tagged transactions), else on the first transaction that needs it; released when
/// the topic closes. Topics that never commit a transaction over several parts never create or lock the log.
/// </summary>
/// <remarks>Thread-safety: any thread.</remarks>
internal sealed class TransactionLogHandle
{
    private readonly object _lock = new();
    private TransactionLog? _log;
    private bool _released;

    public TransactionLogHandle(string root) => Root = Path.GetFullPath(root);

    /// <summary>The durability directory (full path): transactions span only topics of one directory.</summary>
    public string Root { get; }

    /// <summary>The log, acquired (and created when missing) on the first call. A <see cref="JournalException"/> when it cannot be opened.</summary>
    public TransactionLog Get()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            return _log ??= TransactionLog.Acquire(Root);
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
