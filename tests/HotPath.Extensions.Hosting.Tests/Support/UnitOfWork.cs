namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>
/// A scoped service, like a DbContext: it buffers what a batch handled and writes it to the ledger at the flush; it
/// records its own disposal, so tests can see one scope per batch and every scope ended.
/// </summary>
public sealed class UnitOfWork : IDisposable
{
    private readonly List<long> _pending = [];
    private readonly Ledger _ledger;
    private bool _disposed;

    public UnitOfWork(Ledger ledger)
    {
        _ledger = ledger;
        ledger.ScopeStarted();
    }

    public void Add(long id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _pending.Add(id);
    }

    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ledger.Record(_pending);
        _pending.Clear();
    }

    public void Dispose()
    {
        Assert.Empty(_pending);
        _disposed = true;
        _ledger.ScopeEnded();
    }
}
