using HotPath.Consumers;

namespace HotPath.Tests.Stress;

/// <summary>
/// What one group of the mixed stress test was handed, checked as it happens against the writers' record (the
/// model): shared by the group's members under a lock (a fenced member may still be inside its handler).
/// </summary>
/// <remarks>
/// <para>Lossless: per partition, first deliveries must be exactly the non-gap offsets from the group's start, in
/// order (an offset past the next expected one means events were skipped); an offset below it is a redelivery, allowed
/// after crashes, fences and seeks and counted. Per key, first deliveries come in sequence order.</para>
/// <para>Lossy: per partition, offsets strictly increase; handled + lost must account for the events published from
/// the start (checked at the end).</para>
/// <para>Both: never a torn event, never a gap handed out as an event.</para>
/// </remarks>
internal sealed class StressLedger
{
    private const int MaxErrors = 20;
    private readonly object _lock = new();
    private readonly StressTopic _topic;
    private readonly long[] _next;
    private readonly long[] _handled;
    private readonly Dictionary<int, long> _keySequence = [];
    private readonly List<string> _errors = [];
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private int _crashNext;
    private long _hangNextTicks;

    public StressLedger(StressTopic topic, string groupId, bool lossy, long[] start)
    {
        _topic = topic;
        GroupId = groupId;
        Lossy = lossy;
        Start = start;
        _next = [.. start];
        _handled = new long[start.Length];
    }

    public string GroupId { get; }

    public bool Lossy { get; }

    public StressTopic Topic => _topic;

    /// <summary>Per partition, the group's committed offset when it was created.</summary>
    public long[] Start { get; }

    public long Redeliveries { get; private set; }

    public long Torn { get; private set; }

    public long GapsHandled { get; private set; }

    public long Skipped { get; private set; }

    public long KeyOrderViolations { get; private set; }

    public long Reordered { get; private set; }

    public long Crashes { get; private set; }

    public long Hangs { get; private set; }

    /// <summary>Sleep 20 ms at every offset that is a multiple of this (0: never): a slower group that holds the window open for seeks.</summary>
    public int PauseEvery { get; init; }

    public long Handled(int partition)
    {
        lock (_lock)
        {
            return _handled[partition];
        }
    }

    public List<string> Errors()
    {
        lock (_lock)
        {
            return [.. _errors];
        }
    }

    public void CrashNext() => Volatile.Write(ref _crashNext, 1);

    /// <summary>
    /// Holds this group's handlers (each waits up to <see cref="MaxHold"/> per event, short of the session time-out),
    /// so that its committed offsets stop moving: while held, a lossless group keeps the retained window's low end at
    /// or below its committed offsets, and another group of the topic can seek back to them.
    /// </summary>
    public void Hold() => _open.Reset();

    public void Release() => _open.Set();

    /// <summary>How long a held handler waits before it goes on anyway.</summary>
    public static TimeSpan MaxHold { get; } = TimeSpan.FromMilliseconds(100);

    public void HangNext(TimeSpan duration) => Volatile.Write(ref _hangNextTicks, duration.Ticks);

    public void Calm()
    {
        Volatile.Write(ref _crashNext, 0);
        Volatile.Write(ref _hangNextTicks, 0);
    }

    /// <summary>After the drain: a lossless group's next expected offset, past trailing gaps, is the end offset.</summary>
    public long NextExpected(int partition)
    {
        lock (_lock)
        {
            while (_topic.IsGap(partition, _next[partition]))
            {
                _next[partition]++;
            }

            return _next[partition];
        }
    }

    public void Record(in StressEvent @event, int partition, long offset)
    {
        StressEvent copy = @event;
        if (Interlocked.Exchange(ref _crashNext, 0) == 1)
        {
            lock (_lock)
            {
                Crashes++;
            }

            throw new InvalidOperationException("chaos: handler crash");
        }

        long hang = Interlocked.Exchange(ref _hangNextTicks, 0);
        if (hang != 0)
        {
            lock (_lock)
            {
                Hangs++;
            }

            Thread.Sleep(TimeSpan.FromTicks(hang));
        }

        if (PauseEvery != 0 && offset % PauseEvery == 0)
        {
            Thread.Sleep(20);
        }

        if (!_open.IsSet)
        {
            _open.Wait(MaxHold);
        }

        lock (_lock)
        {
            if (_topic.IsGap(partition, offset))
            {
                GapsHandled++;
                Error($"p{partition}/{offset}: an abandoned slot (a gap) was handed out as an event (Key {copy.Key}, Sequence {copy.Sequence}, Value {copy.Value}, Check {copy.Check})");
                return;
            }

            if (!copy.IsIntact)
            {
                Torn++;
                Error($"p{partition}/{offset}: torn event (Key {copy.Key}, Sequence {copy.Sequence}, Value {copy.Value}, Check {copy.Check})");
                return;
            }

            if (Lossy)
            {
                RecordLossy(partition, offset);
            }
            else
            {
                RecordLossless(in copy, partition, offset);
            }
        }
    }

    private void RecordLossy(int partition, long offset)
    {
        if (offset < _next[partition])
        {
            Reordered++;
            Error($"p{partition}/{offset}: lossy delivery after offset {_next[partition] - 1}");
            return;
        }

        _next[partition] = offset + 1;
        _handled[partition]++;
    }

    private void RecordLossless(in StressEvent @event, int partition, long offset)
    {
        if (offset < _next[partition])
        {
            Redeliveries++;
            return;
        }

        while (_topic.IsGap(partition, _next[partition]))
        {
            _next[partition]++;
        }

        if (offset != _next[partition])
        {
            Skipped += offset - _next[partition];
            Error($"p{partition}: first delivery of {offset} while {_next[partition]} was never handled");
        }

        _next[partition] = offset + 1;
        _handled[partition]++;
        if (_keySequence.TryGetValue(@event.Key, out long last) && @event.Sequence <= last)
        {
            KeyOrderViolations++;
            Error($"p{partition}/{offset}: key {@event.Key} sequence {@event.Sequence} after {last}");
        }

        _keySequence[@event.Key] = @event.Sequence;
    }

    private void Error(string message)
    {
        if (_errors.Count < MaxErrors)
        {
            _errors.Add($"{GroupId}: {message}");
        }
    }
}
