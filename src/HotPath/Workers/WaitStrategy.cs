namespace HotPath.Workers;

/// <summary>
/// How a thread waits when it cannot make progress: a reader with no new event, or a writer whose ring is
/// full. Chosen per topic (it applies to the topic's writers) and per consumer group (its members).
/// </summary>
/// <remarks>
/// <para>Which to pick:</para>
/// <list type="bullet">
/// <item><see cref="BusySpin"/>: lowest latency, burns a whole core per waiting thread forever. Only with a
/// core reserved (and pinned) for each waiting thread.</item>
/// <item><see cref="Yielding"/>: spins briefly, then yields the core to any other runnable thread. Near
/// busy-spin latency when cores are oversubscribed, but still 100% of a core when the machine is idle.</item>
/// <item><see cref="SpinThenSleep"/>: spin, yield, then sleep in short naps. Low idle cost (a few wake-ups
/// per millisecond at most), latency up to the nap length after a quiet period.</item>
/// <item><see cref="Blocking"/> (the default): spins and yields briefly, then parks the thread, which uses no CPU until
/// a publish (or a reader's progress, for a full ring) wakes it. A publish pays one load of a wake flag; the
/// thread that parks pays a process-wide barrier, and the first publish after it a wake-up.</item>
/// </list>
/// Thread-safety: instances are immutable and may be shared by any number of topics and groups.
/// </remarks>
public sealed class WaitStrategy
{
    private const int DefaultSpins = 64;
    private const int DefaultYields = 64;
    private const int DefaultBlockingYields = 32;

    /// <summary>Never gives up the core: pauses the CPU briefly between checks.</summary>
    public static WaitStrategy BusySpin { get; } = new("busy-spin", WaitKind.BusySpin, int.MaxValue, 0, TimeSpan.Zero);

    /// <summary>Spins <c>64</c> times, then calls <see cref="Thread.Yield"/> between checks.</summary>
    public static WaitStrategy Yielding { get; } = new("yielding", WaitKind.Yielding, DefaultSpins, int.MaxValue, TimeSpan.Zero);

    /// <summary>Spins, yields, then sleeps 1 ms between checks.</summary>
    public static WaitStrategy SpinThenSleep { get; } = CreateSpinThenSleep(DefaultSpins, DefaultYields, TimeSpan.FromMilliseconds(1));

    /// <summary>
    /// Spins <c>64</c> times, yields <c>32</c> times, then parks the thread until it is woken: no CPU while idle. The
    /// yields matter when threads outnumber cores: a member that parks the moment it runs dry costs its publisher a
    /// wake-up (a futex call) and itself a process-wide barrier, while a few yields let the publisher run and refill it
    /// (fan-out to 3 groups on 2 cores, side by side: 40 M/s parking after the spins, 82 M/s with 32 yields first).
    /// </summary>
    public static WaitStrategy Blocking { get; } = new("blocking", WaitKind.Blocking, DefaultSpins, DefaultBlockingYields, TimeSpan.Zero);

    /// <summary>Creates a blocking strategy: spin, then yield, then park until woken.</summary>
    /// <param name="spinIterations">Checks separated by a CPU pause before yielding; at least 0.</param>
    /// <param name="yieldIterations">Checks separated by <see cref="Thread.Yield"/> before parking; at least 0.</param>
    /// <returns>The strategy.</returns>
    /// <remarks>Thread-safety: safe to call from any thread.</remarks>
    public static WaitStrategy CreateBlocking(int spinIterations, int yieldIterations)
    {
        if (spinIterations < 0)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(spinIterations), "must be at least 0", spinIterations);
        }

        if (yieldIterations < 0)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(yieldIterations), "must be at least 0", yieldIterations);
        }

        return new WaitStrategy("blocking", WaitKind.Blocking, spinIterations, yieldIterations, TimeSpan.Zero);
    }

    /// <summary>Creates a spin, then yield, then sleep backoff.</summary>
    /// <param name="spinIterations">Checks separated by a CPU pause before yielding; at least 0.</param>
    /// <param name="yieldIterations">Checks separated by <see cref="Thread.Yield"/> before sleeping; at least 0.</param>
    /// <param name="sleep">The nap between checks after that; between 0 and 1 second.</param>
    /// <returns>The strategy.</returns>
    /// <remarks>Thread-safety: safe to call from any thread.</remarks>
    public static WaitStrategy CreateSpinThenSleep(int spinIterations, int yieldIterations, TimeSpan sleep)
    {
        if (spinIterations < 0)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(spinIterations), "must be at least 0", spinIterations);
        }

        if (yieldIterations < 0)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(yieldIterations), "must be at least 0", yieldIterations);
        }

        if (sleep < TimeSpan.Zero || sleep > TimeSpan.FromSeconds(1))
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(sleep), "must be between 0 and 1 second", sleep);
        }

        return new WaitStrategy("spin-then-sleep", WaitKind.SpinThenSleep, spinIterations, yieldIterations, sleep);
    }

    private readonly int _spins;
    private readonly int _yields;
    private readonly int _sleepMilliseconds;

    private WaitStrategy(string name, WaitKind kind, int spins, int yields, TimeSpan sleep)
    {
        Name = name;
        Kind = kind;
        _spins = spins;
        _yields = yields;
        _sleepMilliseconds = (int)Math.Ceiling(sleep.TotalMilliseconds);
    }

    /// <summary>The strategy's name: <c>busy-spin</c>, <c>yielding</c>, <c>spin-then-sleep</c> or <c>blocking</c>.</summary>
    public string Name { get; }

    /// <summary>True for <see cref="Blocking"/>: waiting threads park and must be woken.</summary>
    public bool ParksThread => Kind == WaitKind.Blocking;

    internal WaitKind Kind { get; }

    /// <summary>
    /// One idle step. <paramref name="iteration"/> counts the caller's consecutive failed checks (the caller
    /// resets it to 0 after progress). Returns true when the caller should park (blocking strategy only):
    /// the caller then runs its own park protocol, which must recheck its condition after announcing itself.
    /// </summary>
    internal bool Idle(ref int iteration)
    {
        int i = iteration;
        if (i < int.MaxValue)
        {
            iteration = i + 1;
        }

        if (Kind == WaitKind.BusySpin)
        {
            // No back-off: a busy-spinning thread owns its core, and each pause between polls is latency (one pause
            // instruction here is tens of cycles; the back-off below reaches 16 of them, ~0.2 us per poll on this
            // project's benchmark machine, which showed as the median one-way latency).
            Thread.SpinWait(1);
            return false;
        }

        if (i < _spins)
        {
            Thread.SpinWait(1 << Math.Min(i >> 3, 4));
            return false;
        }

        // Yielding yields forever (_yields is int.MaxValue); SpinThenSleep then sleeps, Blocking then parks.
        if (i - _spins < _yields)
        {
            Thread.Yield();
            return false;
        }

        if (Kind == WaitKind.SpinThenSleep)
        {
            Thread.Sleep(_sleepMilliseconds);
            return false;
        }

        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The kinds of <see cref="WaitStrategy"/>.</summary>
internal enum WaitKind
{
    BusySpin,
    Yielding,
    SpinThenSleep,
    Blocking,
}
