using System.Threading.Channels;

namespace HotPath.Benchmarks.Throughput;

/// <summary>How a baseline's writers and readers are connected.</summary>
public enum Topology
{
    /// <summary>One writer, one reader, one queue.</summary>
    OneToOne,

    /// <summary>One writer that writes every event into each reader's own queue.</summary>
    FanOut,

    /// <summary>Two writers into one queue, one reader.</summary>
    TwoWriters,

    /// <summary>Writer <c>i</c> into queue <c>i</c>, read by reader <c>i</c>: independent pairs.</summary>
    Partitioned,
}

/// <summary>
/// Baseline: bounded <see cref="Channel{T}"/>s of <see cref="ThroughputBenchmark.Capacity"/> items, driven
/// synchronously (<c>TryWrite</c>/<c>TryRead</c> plus the shared idle step) so that they wait exactly as HotPath
/// does and no async machinery is measured. <paramref name="queues"/> channels connected as
/// <paramref name="topology"/> says.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <param name="singleReaderWriter">The SingleReader and SingleWriter options.</param>
/// <param name="topology">How writers, channels and readers are connected.</param>
/// <param name="queues">Channels (and readers; writers too for <see cref="Topology.Partitioned"/>).</param>
public sealed class ChannelPipe<TEvent>(bool singleReaderWriter, Topology topology = Topology.OneToOne, int queues = 1) : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly Channel<TEvent>[] _channels = [.. Enumerable.Range(0, queues).Select(_ => Channel.CreateBounded<TEvent>(
        new BoundedChannelOptions(ThroughputBenchmark.Capacity)
        {
            SingleReader = singleReaderWriter,
            SingleWriter = singleReaderWriter,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        }))];

    /// <inheritdoc/>
    public override int Writers => topology switch
    {
        Topology.TwoWriters => 2,
        Topology.Partitioned => queues,
        _ => 1,
    };

    /// <inheritdoc/>
    public override int Readers => queues;

    /// <inheritdoc/>
    public override bool EachReaderSeesAll => topology != Topology.Partitioned;

    /// <inheritdoc/>
    public override void Write(int writer, long start, int stride, int count)
    {
        if (topology == Topology.FanOut)
        {
            WriteAll(start, stride, count);
            return;
        }

        ChannelWriter<TEvent> channel = _channels[topology == Topology.Partitioned ? writer : 0].Writer;
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            TEvent @event = TEvent.Create(sequence);
            int idle = 0;
            while (!channel.TryWrite(@event))
            {
                Idle(ref idle);
            }
        }
    }

    /// <inheritdoc/>
    public override long Read(int reader, long first, int count) => topology switch
    {
        Topology.TwoWriters => Read(_channels[0].Reader, new TwoWriterCheck<TEvent>(first), first + count),
        Topology.Partitioned => Read(_channels[reader].Reader, new StridedCheck<TEvent>(first + reader, queues), first + count),
        _ => Read(_channels[reader].Reader, new SequenceCheck<TEvent>(first), first + count),
    };

    private void WriteAll(long start, int stride, int count)
    {
        Channel<TEvent>[] channels = _channels;
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            TEvent @event = TEvent.Create(sequence);
            foreach (Channel<TEvent> channel in channels)
            {
                int idle = 0;
                while (!channel.Writer.TryWrite(@event))
                {
                    Idle(ref idle);
                }
            }
        }
    }

    private long Read<TCheck>(ChannelReader<TEvent> reader, TCheck check, long end)
        where TCheck : struct, IDeliveryCheck<TEvent>
    {
        int idle = 0;
        while (!check.Reached(end))
        {
            if (reader.TryRead(out TEvent @event))
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
