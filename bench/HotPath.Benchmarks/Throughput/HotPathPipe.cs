using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// HotPath: one topic with one partition of <see cref="ThroughputBenchmark.Capacity"/> slots and one lossless
/// <see cref="PartitionReader{T}"/> that polls with a struct handler and coalesces small batches like a group member. The writer publishes one event per call,
/// or fills <see cref="BatchClaim{T}"/>s of <c>batchSize</c> slots in place.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class HotPathPipe<TEvent> : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>The most events one <c>Poll</c> hands out (and then commits).</summary>
    public const int PollBatch = 1024;

    private readonly Topic<TEvent> _topic;
    private readonly Partition<TEvent> _partition;
    private readonly PartitionReader<TEvent> _reader;
    private readonly int _batchSize;

    /// <summary>Creates the topic and registers the reader at offset 0.</summary>
    /// <param name="mode">Single- or multi-writer claiming.</param>
    /// <param name="batchSize">1 for <c>Publish</c>, more for <c>ClaimBatch</c> of that many slots.</param>
    public HotPathPipe(PublishMode mode, int batchSize)
    {
        _topic = new Topic<TEvent>(new TopicOptions
        {
            Name = "throughput",
            Capacity = ThroughputBenchmark.Capacity,
            PublishMode = mode,
            // Yielding, not BusySpin: on a 2-core machine a spinning writer starves the reader it waits for.
            WaitStrategy = WaitStrategy.Yielding,
        });
        _partition = _topic[0];
        _reader = _topic.CreateReader(0);
        _batchSize = batchSize;
    }

    /// <inheritdoc/>
    public override bool MustNotAllocate => true;

    /// <inheritdoc/>
    public override void Write(int writer, long start, int stride, int count)
    {
        if (_batchSize == 1)
        {
            WriteSingle(start, count);
        }
        else
        {
            WriteBatches(start, count);
        }
    }

    /// <inheritdoc/>
    public override long Read(int reader, long first, int count)
    {
        var handler = new CheckingHandler { Check = new SequenceCheck<TEvent>(first) };
        PartitionReader<TEvent> partitionReader = _reader;
        long end = first + count;
        int idle = 0;
        while (handler.Check.Expected != end)
        {
            long remaining = end - handler.Check.Expected;
            int polled = partitionReader.Poll(ref handler, (int)Math.Min(remaining, PollBatch));
            if (polled != 0)
            {
                // Batch coalescing exactly as a group member does it, with the default threshold.
                BatchCoalescing.AfterProgress(polled, BatchCoalescing.DefaultBelow, idle);
                idle = 0;
            }
            else
            {
                Idle(ref idle);
            }
        }

        return handler.Check.Sum;
    }

    /// <inheritdoc/>
    public override void Abort()
    {
        base.Abort();
        // Releases a writer waiting in Publish on a full ring (it throws ObjectDisposedException).
        _topic.Dispose();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reader.Dispose();
            _topic.Dispose();
        }
    }

    private void WriteSingle(long first, int count)
    {
        Partition<TEvent> partition = _partition;
        long end = first + count;
        for (long sequence = first; sequence < end; sequence++)
        {
            partition.Publish(TEvent.Create(sequence));
        }
    }

    private void WriteBatches(long first, int count)
    {
        Partition<TEvent> partition = _partition;
        int batchSize = _batchSize;
        long end = first + count;
        for (long sequence = first; sequence < end; sequence += batchSize)
        {
            int n = (int)Math.Min(batchSize, end - sequence);
            using BatchClaim<TEvent> claim = partition.ClaimBatch(n);
            for (int i = 0; i < n; i++)
            {
                claim[i] = TEvent.Create(sequence + i);
            }

            claim.Publish();
        }
    }

    private struct CheckingHandler : IEventHandler<TEvent>
    {
        public SequenceCheck<TEvent> Check;

        public void OnEvent(ref readonly TEvent @event, int partition, long offset, bool endOfBatch) => Check.Accept(in @event);
    }
}
