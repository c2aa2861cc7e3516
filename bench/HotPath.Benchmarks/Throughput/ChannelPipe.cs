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

    /// <summary>
    /// One writer routes each event by a <c>long</c> key (see <see cref="KeyedRouting"/>) to one of <c>count</c> queues
    /// (partitions), round robin; one reader reads them all.
    /// </summary>
    Keyed,
}

/// <summary>
/// Baseline: bounded <see cref="Channel{T}"/>s of <paramref name="capacity"/> items, driven
/// synchronously (<c>TryWrite</c>/<c>TryRead</c> plus the shared idle step) so that they wait exactly as HotPath
/// does and no async machinery is measured. <paramref name="queues"/> channels connected as
/// <paramref name="topology"/> says.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <param name="singleReaderWriter">The SingleReader and SingleWriter options.</param>
/// <param name="topology">How writers, channels and readers are connected.</param>
/// <param name="queues">Channels (and readers, except for <see cref="Topology.Keyed"/>; writers too for <see cref="Topology.Partitioned"/>).</param>
/// <param name="capacity">The bound of each channel.</param>
public sealed class ChannelPipe<TEvent>(bool singleReaderWriter, Topology topology = Topology.OneToOne, int queues = 1, int capacity = ThroughputBenchmark.Capacity) : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>The most events the keyed reader takes from one channel before it moves to the next.</summary>
    private const int DrainBatch = 1024;

    private readonly KeyedRouting? _routing = topology == Topology.Keyed ? new KeyedRouting(queues) : null;

    private readonly Channel<TEvent>[] _channels = [.. Enumerable.Range(0, queues).Select(_ => Channel.CreateBounded<TEvent>(
        new BoundedChannelOptions(capacity)
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
    public override int Readers => topology == Topology.Keyed ? 1 : queues;

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

        if (topology == Topology.Keyed)
        {
            WriteKeyed(start, stride, count);
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
        Topology.Keyed => ReadAll(new KeyedCheck<TEvent>(first, queues), first + count),
        _ => Read(_channels[reader].Reader, new SequenceCheck<TEvent>(first), first + count),
    };

    /// <summary>The keyed writer: each event's key picks its channel with HotPath's default partitioner, as a keyed
    /// <c>Topic.Publish</c> picks its partition, so both sides pay the same hash per event.</summary>
    private void WriteKeyed(long start, int stride, int count)
    {
        Channel<TEvent>[] channels = _channels;
        KeyedRouting routing = _routing!;
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            TEvent @event = TEvent.Create(sequence);
            ChannelWriter<TEvent> channel = channels[routing.PartitionFor(routing.KeyFor(sequence))].Writer;
            int idle = 0;
            while (!channel.TryWrite(@event))
            {
                Idle(ref idle);
            }
        }
    }

    /// <summary>The keyed reader: one thread drains every channel in turn, at most <see cref="DrainBatch"/> events from
    /// each before it moves on (as a member that owns several partitions reads a batch from each in turn).</summary>
    private long ReadAll(KeyedCheck<TEvent> check, long end)
    {
        Channel<TEvent>[] channels = _channels;
        int idle = 0;
        while (!check.Reached(end))
        {
            bool progress = false;
            foreach (Channel<TEvent> channel in channels)
            {
                ChannelReader<TEvent> reader = channel.Reader;
                for (int n = 0; n < DrainBatch && reader.TryRead(out TEvent @event); n++)
                {
                    check.Accept(in @event);
                    progress = true;
                }
            }

            if (progress)
            {
                idle = 0;
            }
            else
            {
                Idle(ref idle);
            }
        }

        return check.Sum;
    }

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
