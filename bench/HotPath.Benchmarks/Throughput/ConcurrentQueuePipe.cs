using System.Collections.Concurrent;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Baseline: an (unbounded) <see cref="ConcurrentQueue{T}"/> with a spinning reader. The writer never waits,
/// so the queue grows as far as the reader falls behind, and it allocates segments as it grows.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class ConcurrentQueuePipe<TEvent> : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly ConcurrentQueue<TEvent> _queue = new();

    /// <inheritdoc/>
    public override void Write(int writer, long start, int stride, int count)
    {
        ConcurrentQueue<TEvent> queue = _queue;
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            queue.Enqueue(TEvent.Create(sequence));
        }
    }

    /// <inheritdoc/>
    public override long Read(int reader, long first, int count)
    {
        ConcurrentQueue<TEvent> queue = _queue;
        var check = new SequenceCheck<TEvent>(first);
        long end = first + count;
        int idle = 0;
        while (check.Expected != end)
        {
            if (queue.TryDequeue(out TEvent @event))
            {
                check.Accept(in @event);
                idle = 0;
            }
            else
            {
                Idle(ref idle);
            }
        }

        return check.Sum;
    }
}
