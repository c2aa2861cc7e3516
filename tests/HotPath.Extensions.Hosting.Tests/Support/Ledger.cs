namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A singleton that counts how many times each event id was handled and how many scopes ended.</summary>
/// <remarks>
/// Member threads of several members add at once: Interlocked increments (atomic). The test reads with Volatile.Read
/// after the host stopped, once the members' threads ended, so every increment is visible.
/// </remarks>
/// <param name="capacity">The number of event ids.</param>
public sealed class Ledger(int capacity)
{
    private readonly int[] _counts = new int[capacity];
    private long _scopesStarted;
    private long _scopesEnded;
    private long _total;

    public long Total => Volatile.Read(ref _total);

    public long ScopesStarted => Volatile.Read(ref _scopesStarted);

    public long ScopesEnded => Volatile.Read(ref _scopesEnded);

    public int CountOf(long id) => Volatile.Read(ref _counts[id]);

    public void Record(IEnumerable<long> ids)
    {
        foreach (long id in ids)
        {
            Interlocked.Increment(ref _counts[id]);
            Interlocked.Increment(ref _total);
        }
    }

    public void ScopeStarted() => Interlocked.Increment(ref _scopesStarted);

    public void ScopeEnded() => Interlocked.Increment(ref _scopesEnded);
}
