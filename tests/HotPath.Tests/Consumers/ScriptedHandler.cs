using HotPath.Consumers;
using HotPath.Tests.Support;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A handler shared by a group's members that does what a test scripts: sleeps a fixed time per event, blocks at one
/// offset until the test opens a gate (signalling when it got there), and throws for events at or past a poison value.
/// Records every call that returned normally, with the member, partition, offset and value, in return order.
/// </summary>
internal sealed class ScriptedHandler
{
    private readonly object _lock = new();
    private readonly List<(string Member, int Partition, long Offset, long Value)> _calls = [];
    private int _blocked;

    /// <summary>Sleep per event, in milliseconds.</summary>
    public int SleepMs { get; init; }

    /// <summary>The first call at this offset (on partition 0) waits for <see cref="Gate"/>; -1: none.</summary>
    public long BlockAt { get; init; } = -1;

    /// <summary>Set by the test to let the blocked call go on.</summary>
    public ManualResetEventSlim Gate { get; } = new();

    /// <summary>Set when a call reached <see cref="BlockAt"/>.</summary>
    public ManualResetEventSlim Inside { get; } = new();

    /// <summary>Events with a value at or past this throw <see cref="PoisonException"/>; MaxValue: none.</summary>
    public long PoisonFrom { get; init; } = long.MaxValue;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _calls.Count;
            }
        }
    }

    public List<(string Member, int Partition, long Offset, long Value)> Calls()
    {
        lock (_lock)
        {
            return [.. _calls];
        }
    }

    /// <summary>Per partition, the offsets handled in order.</summary>
    public List<long> Offsets(int partition) => [.. Calls().Where(c => c.Partition == partition).Select(c => c.Offset)];

    public Member For(string name) => new(this, name);

    /// <summary>One member's view of the shared handler.</summary>
    public sealed class Member(ScriptedHandler owner, string name) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            long value = @event.Value;
            if (value >= owner.PoisonFrom)
            {
                throw new PoisonException(partition, offset);
            }

            if (partition == 0 && offset == owner.BlockAt && Interlocked.Exchange(ref owner._blocked, 1) == 0)
            {
                owner.Inside.Set();
                owner.Gate.Wait(TimeSpan.FromSeconds(20));
            }

            if (owner.SleepMs > 0)
            {
                Thread.Sleep(owner.SleepMs);
            }

            lock (owner._lock)
            {
                owner._calls.Add((name, partition, offset, value));
            }
        }
    }

    /// <summary>What a handler throws for a poisoned event.</summary>
    public sealed class PoisonException(int partition, long offset) : Exception($"poisoned event at {partition}/{offset}");
}
