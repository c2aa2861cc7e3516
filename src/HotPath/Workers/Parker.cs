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
    private int _parking;

    /// <summary>
    /// Owner only: announces that the owner is about to park on partitions, before it raises their wake flags
    /// (<c>Partition.EnterReaderPark</c>). <see cref="UnparkIfParking"/> wakes only announced owners, so a publish never
    /// disturbs a member that is busy. Cleared by <see cref="EndParking"/>.
    /// </summary>
    public void BeginParking() => Volatile.Write(ref _parking, 1);

    /// <summary>Owner only: the park attempt that <see cref="BeginParking"/> announced is over.</summary>
    public void EndParking() => Volatile.Write(ref _parking, 0);

    /// <summary>
    /// <see cref="Unpark"/> when the owner announced a park. Called by publishers after they won a partition's wake
    /// flag (a locked exchange, a full fence): the owner wrote <c>_parking</c> before that flag, so a waker that
    /// read the owner's flag (or a later one in the flag's coherence order) also reads <c>_parking = 1</c> here.
    /// </summary>
    public void UnparkIfParking()
    {
        // Acquire: pairs with the release in BeginParking; see above for why it cannot miss an announced owner.
        if (Volatile.Read(ref _parking) != 0)
        {
            Unpark();
        }
    }

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
