using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Consume-transform-produce, exactly once: the writer publishes into <c>input</c> (single writer, 1 partition); a
/// transactional member (<c>JoinTransactional</c>, batches of up to <see cref="GroupPipe{TEvent}.BatchSize"/>) forwards
/// each event into <c>output</c> inside a transaction that also commits its input offset; a read-committed member of
/// <c>output</c> checks every event and signals the harness. Events per second are input events that reached the end.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class TransactionalPipelinePipe<TEvent> : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly Topic<TEvent> _input;
    private readonly Topic<TEvent> _output;
    private readonly TransactionCoordinator _coordinator = new();
    private readonly ConsumerGroup<TEvent> _stage;
    private readonly ConsumerGroup<TEvent> _end;
    private readonly DeliverySink _sink = new();

    /// <summary>Creates both topics and both groups and waits for their assignment.</summary>
    public TransactionalPipelinePipe()
    {
        _input = new Topic<TEvent>(Options("input"));
        _output = new Topic<TEvent>(Options("output"));
        _stage = new ConsumerGroup<TEvent>(_input, GroupOptions("stage"));
        _stage.JoinTransactional(new Forward(_output), _coordinator, "forward");
        _end = new ConsumerGroup<TEvent>(_output, GroupOptions("end"));
        _end.Join(new Sink(_sink), "sink");
    }

    /// <inheritdoc/>
    public override bool MustNotAllocate => true;

    /// <inheritdoc/>
    public override void BeginInvocation(long first, int count) => _sink.Arm(first + count);

    /// <inheritdoc/>
    public override void Write(int writer, long start, int stride, int count)
    {
        Partition<TEvent> partition = _input[0];
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            partition.Publish(TEvent.Create(sequence));
        }
    }

    /// <inheritdoc/>
    public override long Read(int reader, long first, int count) => _sink.Wait();

    /// <inheritdoc/>
    public override long ReaderThreadsAllocated(int reader) => _sink.Allocated;

    /// <inheritdoc/>
    public override void Abort()
    {
        base.Abort();
        _sink.Abort();
        _input.Dispose();
        _output.Dispose();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stage.Dispose();
            _end.Dispose();
            _input.Dispose();
            _output.Dispose();
            _coordinator.Dispose();
        }
    }

    private static TopicOptions Options(string name) => new()
    {
        Name = name,
        Capacity = ThroughputBenchmark.Capacity,
        PublishMode = PublishMode.SingleWriter,
        WaitStrategy = WaitStrategy.Yielding,
    };

    private static ConsumerGroupOptions GroupOptions(string id) => new()
    {
        GroupId = id,
        WaitStrategy = WaitStrategy.Yielding,
        MaxBatchSize = GroupPipe<TEvent>.BatchSize,
    };

    /// <summary>Forwards each input event into the output topic inside the member's transaction.</summary>
    private readonly struct Forward(Topic<TEvent> output) : ITransactionalHandler<TEvent>
    {
        public void OnEvent(ref readonly TEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction) =>
            transaction.PublishTo(output, 0, in @event);
    }

    /// <summary>Checks each output event and signals the sink at the end of the invocation's range.</summary>
    private struct Sink(DeliverySink sink) : IEventHandler<TEvent>
    {
        private readonly DeliverySink _sink = sink;
        private SequenceCheck<TEvent> _check = new(0);

        public void OnEvent(ref readonly TEvent @event, int partition, long offset, bool endOfBatch)
        {
            _check.Accept(in @event);
            if (endOfBatch && _check.Reached(_sink.End))
            {
                _sink.Signal(_check.Sum);
            }
        }
    }
}
