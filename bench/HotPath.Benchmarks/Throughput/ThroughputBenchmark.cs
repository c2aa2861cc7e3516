using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// The BenchmarkDotNet face of every throughput benchmark: each invocation is one <see cref="PipeDriver.Transfer"/> of
/// <see cref="EventsPerInvoke"/> events of <see cref="EventBytes"/> bytes from the pipe's writers to its readers, and
/// returns when every reader has received and checked its share. One derived class per implementation and scenario;
/// <see cref="PipeDriver"/> is the whole harness (threads, checks, allocation guard), so every implementation is timed,
/// waited for and checked the same way, here and in the <c>curves</c> harness.
/// </summary>
/// <remarks>
/// BenchmarkDotNet's Allocated column rounds per operation, which would hide up to half a megabyte per invocation: the
/// driver's per-thread guard fails an implementation that must not allocate when it allocates in two invocations after
/// its first.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public abstract class ThroughputBenchmark
{
    /// <summary>Events per invocation: BenchmarkDotNet's OperationsPerInvoke, so its times are per event published.</summary>
    public const int EventsPerInvoke = 1 << 20;

    /// <summary>Slots of each HotPath partition and bound of each bounded channel.</summary>
    public const int Capacity = 1 << 16;

    private PipeDriver? _driver;

    /// <summary>The event size in bytes: 8, 64 or 256. Scenarios that compare sizes declare it as a parameter.</summary>
    public virtual int EventBytes { get; set; } = 8;

    /// <summary>Creates the implementation and starts the extra writer and reader threads.</summary>
    [GlobalSetup]
    public void GlobalSetup()
    {
        EventPipe pipe = EventBytes switch
        {
            8 => Create<Event8>(),
            64 => Create<Event64>(),
            256 => Create<Event256>(),
            _ => throw new ArgumentOutOfRangeException(nameof(EventBytes), EventBytes, "EventBytes must be 8, 64 or 256"),
        };
        if (EventsPerInvoke % pipe.Writers != 0)
        {
            pipe.Dispose();
            throw new InvalidOperationException($"{Name}: {pipe.Writers} writers do not divide {EventsPerInvoke} events");
        }

        _driver = new PipeDriver(pipe, $"{Name} ({EventBytes} B)");
    }

    /// <summary>Publishes <see cref="EventsPerInvoke"/> events and waits until every reader has checked its share.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public virtual void Transfer() => _driver!.Transfer(EventsPerInvoke);

    /// <summary>Stops the threads and releases the implementation.</summary>
    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _driver?.Dispose();
        _driver = null;
    }

    /// <summary>The implementation under test, for events of type <typeparamref name="TEvent"/>.</summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <returns>A new pipe; the harness disposes it.</returns>
    protected abstract EventPipe CreatePipe<TEvent>()
        where TEvent : unmanaged, IBenchEvent<TEvent>;

    private EventPipe Create<TEvent>()
        where TEvent : unmanaged, IBenchEvent<TEvent>
    {
        if (Unsafe.SizeOf<TEvent>() != EventBytes || TEvent.Size != EventBytes)
        {
            throw new InvalidOperationException($"{typeof(TEvent).Name} is {Unsafe.SizeOf<TEvent>()} bytes, expected {EventBytes}");
        }

        return CreatePipe<TEvent>();
    }

    /// <summary>The implementation's class name (BenchmarkDotNet runs a generated subclass of it).</summary>
    private string Name
    {
        get
        {
            Type type = GetType();
            while (type.Assembly != typeof(ThroughputBenchmark).Assembly && type.BaseType is not null)
            {
                type = type.BaseType;
            }

            return type.Name;
        }
    }
}
