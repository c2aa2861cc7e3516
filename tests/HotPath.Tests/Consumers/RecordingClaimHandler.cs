using HotPath.Consumers;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Records every call with a copy of the event taken at once (the slot may be reused later); a lossy group's
/// handler first waits at its gate while the test pauses it (so that the writer laps it).
/// </summary>
internal sealed class RecordingClaimHandler(ManualResetEventSlim? gate) : IEventHandler<CheckedEvent>
{
    private readonly object _lock = new();
    private readonly List<(long Offset, CheckedEvent Event)> _calls = [];

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

    public List<(long Offset, CheckedEvent Event)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _calls];
        }
    }

    public void OnEvent(ref readonly CheckedEvent @event, int partition, long offset, bool endOfBatch)
    {
        gate?.Wait(TimeSpan.FromSeconds(10));
        CheckedEvent copy = @event;
        lock (_lock)
        {
            _calls.Add((offset, copy));
        }
    }
}
