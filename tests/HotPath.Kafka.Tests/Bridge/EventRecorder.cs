using HotPath.Consumers;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>A group handler that records, per partition, the events it saw in order; optionally slowed by a gate.</summary>
internal sealed class EventRecorder : IEventHandler<BridgeEvent>
{
    private readonly List<(long Offset, BridgeEvent Event)>[] _seen;
    private readonly ManualResetEventSlim? _gate;
    private readonly TimeSpan _delayPerEvent;
    private long _count;

    public EventRecorder(int partitions, ManualResetEventSlim? gate = null, TimeSpan delayPerEvent = default)
    {
        _seen = Enumerable.Range(0, partitions).Select(_ => new List<(long, BridgeEvent)>()).ToArray();
        _gate = gate;
        _delayPerEvent = delayPerEvent;
    }

    public long Count => Interlocked.Read(ref _count);

    public void OnEvent(ref readonly BridgeEvent @event, int partition, long offset, bool endOfBatch)
    {
        _gate?.Wait(TimeSpan.FromSeconds(60));
        if (_delayPerEvent > TimeSpan.Zero)
        {
            Thread.Sleep(_delayPerEvent);
        }

        lock (_seen)
        {
            _seen[partition].Add((offset, @event));
        }

        Interlocked.Increment(ref _count);
    }

    public List<(long Offset, BridgeEvent Event)> Snapshot(int partition)
    {
        lock (_seen)
        {
            return [.. _seen[partition]];
        }
    }
}
