namespace HotPath.Workers;

/// <summary>
/// A one-permit park/unpark primitive for one thread (like Java's <c>LockSupport</c>): <see cref="Unpark"/>
/// before <see cref="Park"/> makes the next park return at once, so a wake-up between a waiter's last check
/// and its park is never lost.
/// </summary>
/// <remarks>
/// Design: only the owning thread parks; any thread may unpark. <c>_permit</c> changes only by
/// <see cref="Interlocked.Exchange(ref int, int)"/> (full fences), so whatever an unparker wrote before setting
/// the permit is visible to the parker that takes it. An unparker that finds the permit already set returns
/// without the lock: the thread that set it is pulsing, or the owner will take the permit on its next park. An
/// unparker that sets it takes the lock to pulse; the owner re-checks the permit under the same lock before it
/// waits, so the pulse cannot fall between its check and its wait.
/// </remarks>
internal sealed class Parker
{
    private readonly object _lock = new();
    private int _permit;

    /// <summary>Blocks until unparked or until <paramref name="timeoutMilliseconds"/> passes; consumes the permit.</summary>
    public void Park(int timeoutMilliseconds)
    {
        if (Interlocked.Exchange(ref _permit, 0) == 1)
        {
            return;
        }

        lock (_lock)
        {
            if (Volatile.Read(ref _permit) == 0)
            {
                Monitor.Wait(_lock, timeoutMilliseconds);
            }
        }

        Interlocked.Exchange(ref _permit, 0);
    }

    /// <summary>Gives the permit and wakes the owner if it is parked. Any thread; cheap when a wake-up is pending.</summary>
    public void Unpark()
    {
        if (Interlocked.Exchange(ref _permit, 1) == 1)
        {
            return;
        }

        lock (_lock)
        {
            Monitor.Pulse(_lock);
        }
    }
}
