using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// One writer to one reader: each invocation moves <see cref="EventsPerInvoke"/> events of
/// <see cref="EventBytes"/> bytes from the benchmark thread to a reader thread, and returns when the reader has
/// received and checked all of them. One derived class per implementation; this base is the whole harness, so
/// every implementation is timed, waited for and checked the same way.
/// </summary>
/// <remarks>
/// <para>Harness: the reader is one long-lived thread started in <see cref="GlobalSetup"/>. Each invocation
/// hands it the sequence range through a semaphore (no <c>Task.Run</c>, no thread start in the measured region),
/// writes the range, then waits for the reader's done signal. The two signals cost microseconds against the
/// tens of milliseconds an invocation takes.</para>
/// <para>Checks: the reader checks every event's sequence number and payload and sums the sequence numbers; the
/// invocation throws (the benchmark fails) when the sum differs from the arithmetic series, when either side
/// failed, or when an implementation that must not allocate allocated on the writer or reader thread after its
/// first invocation (BenchmarkDotNet's Allocated column rounds per operation, which would hide up to half a
/// megabyte per invocation).</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public abstract class ThroughputBenchmark
{
    /// <summary>Events per invocation: BenchmarkDotNet's OperationsPerInvoke, so its times are per event.</summary>
    public const int EventsPerInvoke = 1 << 20;

    /// <summary>Slots of the HotPath partition and bound of the bounded channel.</summary>
    public const int Capacity = 1 << 16;

    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private EventPipe? _pipe;
    private Thread? _readerThread;
    private long _nextSequence;
    private long _invocations;

    // Written by the benchmark thread before _start.Release, read by the reader after _start.Wait (the
    // semaphore orders them); the results the other way round through _done.
    private long _first;
    private bool _stopping;
    private long _readerSum;
    private long _readerAllocated;
    private Exception? _readerError;

    /// <summary>The event size in bytes: 8, 64 or 256.</summary>
    [Params(8, 64, 256)]
    public int EventBytes { get; set; }

    /// <summary>Creates the implementation and starts the reader thread.</summary>
    [GlobalSetup]
    public void GlobalSetup()
    {
        _pipe = EventBytes switch
        {
            8 => Create<Event8>(),
            64 => Create<Event64>(),
            256 => Create<Event256>(),
            _ => throw new ArgumentOutOfRangeException(nameof(EventBytes), EventBytes, "EventBytes must be 8, 64 or 256"),
        };
        _nextSequence = 0;
        _invocations = 0;
        _stopping = false;
        _readerThread = new Thread(ReaderLoop) { IsBackground = true, Name = "bench-reader" };
        _readerThread.Start();
    }

    /// <summary>Moves <see cref="EventsPerInvoke"/> events from this thread to the reader and checks what arrived.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public virtual void Transfer()
    {
        EventPipe pipe = _pipe!;
        long first = _nextSequence;
        _first = first;
        _start.Release();

        Exception? writerError = null;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            pipe.Write(first, EventsPerInvoke);
        }
        catch (Exception e)
        {
            writerError = e;
            pipe.Abort();
        }

        long writerAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        _done.Wait();
        _nextSequence = first + EventsPerInvoke;
        Verify(first, writerError, writerAllocated);
    }

    /// <summary>Stops the reader thread and releases the implementation.</summary>
    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _stopping = true;
        _start.Release();
        _readerThread?.Join();
        _pipe?.Dispose();
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

    private void ReaderLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            EventPipe pipe = _pipe!;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                _readerSum = pipe.Read(_first, EventsPerInvoke);
            }
            catch (Exception e)
            {
                _readerError = e;
                pipe.Abort();
            }

            _readerAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            _done.Release();
        }
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

    private void Verify(long first, Exception? writerError, long writerAllocated)
    {
        if (_readerError is not null || writerError is not null)
        {
            throw new InvalidOperationException(
                $"{Name} ({EventBytes} B) failed: reader: {_readerError?.Message ?? "ok"}; writer: {writerError?.Message ?? "ok"}",
                _readerError ?? writerError);
        }

        // Sum of first .. first + n - 1.
        const long n = EventsPerInvoke;
        long expectedSum = (n * first) + (n * (n - 1) / 2);
        if (_readerSum != expectedSum)
        {
            throw new InvalidOperationException(
                $"{Name} ({EventBytes} B): reader's sum of sequence numbers is {_readerSum}, expected {expectedSum} for [{first}, {first + n - 1}]");
        }

        // The first invocation may allocate once (first-call initialisation); after that, nothing.
        if (_invocations++ > 0 && _pipe!.MustNotAllocate && (writerAllocated != 0 || _readerAllocated != 0))
        {
            throw new InvalidOperationException(
                $"{Name} ({EventBytes} B) allocated {writerAllocated} B on the writer thread and {_readerAllocated} B on the reader thread for {n} events; its budget is 0");
        }
    }
}
