using System.Collections.Concurrent;
using HotPath.Consumers;

namespace HotPath.Tests.Support;

/// <summary>
/// A class handler shared by the members of one group in tests: records every delivery with the member that
/// made it, and counts moments when two members were inside the same partition at once.
/// </summary>
public sealed class RecordingHandler
{
    private readonly int[] _inFlight;
    private int _overlaps;

    public RecordingHandler(int partitions) => _inFlight = new int[partitions];

    public ConcurrentQueue<(string Member, int Partition, long Offset, long Value)> Deliveries { get; } = new();

    public int Overlaps => Volatile.Read(ref _overlaps);

    public Func<TestEvent, int, long, bool>? ThrowWhen { get; set; }

    public int DelayMicroseconds { get; set; }

    public Member For(string name) => new(this, name);

    public bool WaitForCount(long count, TimeSpan timeout) => SpinWait.SpinUntil(() => Deliveries.Count >= count, timeout);

    /// <summary>Per partition, the offsets in delivery order.</summary>
    public Dictionary<int, List<long>> OffsetsByPartition() =>
        Deliveries.GroupBy(d => d.Partition).ToDictionary(g => g.Key, g => g.Select(d => d.Offset).ToList());

    public sealed class Member(RecordingHandler owner, string name) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (Interlocked.Increment(ref owner._inFlight[partition]) != 1)
            {
                Interlocked.Increment(ref owner._overlaps);
            }

            try
            {
                if (owner.ThrowWhen?.Invoke(@event, partition, offset) == true)
                {
                    throw new InvalidOperationException($"handler failure at {partition}/{offset}");
                }

                if (owner.DelayMicroseconds > 0)
                {
                    var until = System.Diagnostics.Stopwatch.GetTimestamp() + owner.DelayMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
                    while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                    {
                        Thread.SpinWait(10);
                    }
                }

                owner.Deliveries.Enqueue((name, partition, offset, @event.Value));
            }
            finally
            {
                Interlocked.Decrement(ref owner._inFlight[partition]);
            }
        }
    }
}
