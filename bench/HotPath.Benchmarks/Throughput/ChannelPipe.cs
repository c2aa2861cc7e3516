using System.Threading.Channels;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Baseline: a bounded <see cref="Channel{T}"/> of <see cref="ThroughputBenchmark.Capacity"/> items, driven
/// synchronously (<c>TryWrite</c>/<c>TryRead</c> plus the shared idle step) so that it waits exactly as HotPath
/// does and no async machinery is measured.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class ChannelPipe<TEvent> : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly ChannelWriter<TEvent> _writer;
    private readonly ChannelReader<TEvent> _reader;

    /// <summary>Creates the channel.</summary>
    /// <param name="singleReaderWriter">The SingleReader and SingleWriter options.</param>
    public ChannelPipe(bool singleReaderWriter)
    {
        Channel<TEvent> channel = Channel.CreateBounded<TEvent>(new BoundedChannelOptions(ThroughputBenchmark.Capacity)
        {
            SingleReader = singleReaderWriter,
            SingleWriter = singleReaderWriter,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _writer = channel.Writer;
        _reader = channel.Reader;
    }

    /// <inheritdoc/>
    public override void Write(long first, int count)
    {
        ChannelWriter<TEvent> writer = _writer;
        long end = first + count;
        for (long sequence = first; sequence < end; sequence++)
        {
            TEvent @event = TEvent.Create(sequence);
            int idle = 0;
            while (!writer.TryWrite(@event))
            {
                Idle(ref idle);
            }
        }
    }

    /// <inheritdoc/>
    public override long Read(long first, int count)
    {
        ChannelReader<TEvent> reader = _reader;
        var check = new SequenceCheck<TEvent>(first);
        long end = first + count;
        int idle = 0;
        while (check.Expected != end)
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
