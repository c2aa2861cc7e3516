namespace HotPath.Consumers;

/// <summary>
/// The session watchdog of one consumer group: a dedicated thread that asks the group, every tick, to check its
/// members, and the bookkeeping of that check. A member is stuck when it owns partitions, is not parked, and its loop
/// counter (<see cref="MemberWorker{T}.Heartbeat"/>) has not moved for the session time-out; it is dead when its
/// thread ended while it owned partitions.
/// </summary>
/// <remarks>
/// A dedicated thread rather than a pool timer: a starved thread pool must not delay the detection of stuck members.
/// Thread-safety: <see cref="FindFailed"/> runs under the group's rebalance lock (one caller at a time);
/// <see cref="Dispose"/> from any thread.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class SessionWatchdog<T> : IDisposable
    where T : struct
{
    private readonly Dictionary<MemberWorker<T>, (long Heartbeat, long Since)> _seen = [];
    private readonly ManualResetEventSlim _stop = new();
    private readonly long _timeoutMilliseconds;

    /// <summary>Starts the watchdog thread, which calls <paramref name="check"/> every quarter of the session time-out (at least every 5 ms).</summary>
    /// <param name="groupId">The group, for the thread's name.</param>
    /// <param name="sessionTimeout">How long a member may make no progress while it owns partitions.</param>
    /// <param name="check">The group's check; it calls <see cref="FindFailed"/> under its lock.</param>
    public SessionWatchdog(string groupId, TimeSpan sessionTimeout, Action check)
    {
        _timeoutMilliseconds = (long)sessionTimeout.TotalMilliseconds;
        TimeSpan tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(5).Ticks, sessionTimeout.Ticks / 4));
        var thread = new Thread(() =>
        {
            while (!_stop.Wait(tick))
            {
                check();
            }
        })
        {
            IsBackground = true,
            Name = $"hotpath:{groupId}:watchdog",
        };
        thread.Start();
    }

    /// <summary>The members that are stuck or dead now; they are forgotten, so a later check starts afresh for them.</summary>
    /// <param name="workers">The group's current members.</param>
    /// <returns>The failed members, often none.</returns>
    public List<MemberWorker<T>> FindFailed(IEnumerable<MemberWorker<T>> workers)
    {
        long now = Environment.TickCount64;
        var failed = new List<MemberWorker<T>>();
        foreach (MemberWorker<T> worker in workers)
        {
            // Racy snapshots by design (see MemberWorker.Heartbeat): the check only compares values across ticks.
            long heartbeat = worker.Heartbeat;
            if (worker.HasExited && worker.OwnsPartitions)
            {
                failed.Add(worker);
                continue;
            }

            if (!_seen.TryGetValue(worker, out var seen) || seen.Heartbeat != heartbeat || worker.IsParked || !worker.OwnsPartitions)
            {
                _seen[worker] = (heartbeat, now);
                continue;
            }

            if (now - seen.Since >= _timeoutMilliseconds)
            {
                failed.Add(worker);
            }
        }

        foreach (MemberWorker<T> worker in failed)
        {
            _seen.Remove(worker);
        }

        return failed;
    }

    /// <summary>Stops the thread after its current check. Idempotent.</summary>
    public void Dispose() => _stop.Set();
}
