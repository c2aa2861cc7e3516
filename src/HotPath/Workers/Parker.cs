namespace HotPath.Workers;

/// <summary>
/// A one-permit park/unpark primitive for one thread (like Java's <c>LockSupport</c>): <see cref="Unpark"/>
/// before <see cref="Park"/> makes the next park return at once, so a wake-up between a waiter's last check
/// and its park is never lost.
/// </summary>
/// <remarks>
/// Design: only the owning thread parks; any thread may unpark. All state is under <see cref="_lock"/>, so
/// the monitor provides the ordering: the permit set by an unparker is seen by the parker that takes the
/// lock after it. This is the slow path (an idle thread): a lock per wake-up is fine.
/// </remarks>
internal sealed class Parker
{
    private readonly object _lock = new();
    private bool _permit;

    /// <summary>Blocks until unparked or until <paramref name="timeoutMilliseconds"/> passes; consumes the permit.</summary>
    public void Park(int timeoutMilliseconds)
    {
        lock (_lock)
        {
            if (!_permit)
            {
                Monitor.Wait(_lock, timeoutMilliseconds);
            }

            _permit = false;
        }
    }

    /// <summary>Gives the permit and wakes the owner if it is parked. Any thread.</summary>
    public void Unpark()
    {
        lock (_lock)
        {
            _permit = true;
            Monitor.Pulse(_lock);
        }
    }
}
