using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// The harness of every throughput benchmark: each invocation publishes <see cref="EventsPerInvoke"/> events of
/// <see cref="EventBytes"/> bytes from the pipe's writers to its readers, and returns when every reader has
/// received and checked its share. One derived class per implementation and scenario; this base is the whole
/// harness, so every implementation is timed, waited for and checked the same way.
/// </summary>
/// <remarks>
/// <para>Threads: writer 0 is the benchmark thread; further writers and the readers are long-lived threads started
/// in <see cref="GlobalSetup"/>. Each invocation hands them the sequence range through a semaphore (no
/// <c>Task.Run</c>, no thread start in the measured region), writes its own share, then waits for every other
/// thread's done signal. The signals cost microseconds against the milliseconds an invocation takes. A pipe whose
/// readers are threads of its own (a consumer group's members) uses the harness reader thread only to wait for its
/// completion signal.</para>
/// <para>Sequences: writer <c>w</c> of <c>W</c> publishes <c>first + w</c>, <c>first + w + W</c>, ... so that the
/// invocation covers <c>[first, first + EventsPerInvoke)</c> once. Readers check every event (order per writer and
/// payload) and sum the sequence numbers.</para>
/// <para>Checks: the invocation throws (the benchmark fails) when a reader's sum differs from the arithmetic series
/// (each reader's, for a fan-out; their total, for partitioned readers), when any side failed, when the readers do
/// not finish within <see cref="Timeout"/> (lost events), or when an implementation that must not allocate allocated
/// on any of its threads in two invocations after its first (one late first-use initialisation is reported, not
/// failed; BenchmarkDotNet's Allocated column rounds per operation, which would hide up to half a megabyte per
/// invocation).</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public abstract class ThroughputBenchmark
{
    /// <summary>Events per invocation: BenchmarkDotNet's OperationsPerInvoke, so its times are per event published.</summary>
    public const int EventsPerInvoke = 1 << 20;

    /// <summary>Slots of each HotPath partition and bound of each bounded channel.</summary>
    public const int Capacity = 1 << 16;

    /// <summary>How long the harness waits for the readers after writing before it declares events lost.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _done = new(0);
    private EventPipe? _pipe;
    private Worker[] _workers = [];
    private long _nextSequence;
    private long _invocations;
    private int _lateAllocatingInvocations;

    // Written by the benchmark thread before a worker's Start.Release, read by the worker after Start.Wait (the
    // semaphore orders them); the results the other way round through _done.
    private long _first;
    private bool _stopping;

    /// <summary>The event size in bytes: 8, 64 or 256. Scenarios that compare sizes declare it as a parameter.</summary>
    public virtual int EventBytes { get; set; } = 8;

    /// <summary>Creates the implementation and starts the extra writer and reader threads.</summary>
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
        if (_pipe.Writers < 1 || EventsPerInvoke % _pipe.Writers != 0 || _pipe.Readers < 1)
        {
            throw new InvalidOperationException($"{Name}: {_pipe.Writers} writers and {_pipe.Readers} readers are not supported");
        }

        _nextSequence = 0;
        _invocations = 0;
        _stopping = false;
        var workers = new List<Worker>();
        for (int w = 1; w < _pipe.Writers; w++)
        {
            workers.Add(new Worker(this, isWriter: true, w));
        }

        for (int r = 0; r < _pipe.Readers; r++)
        {
            workers.Add(new Worker(this, isWriter: false, r));
        }

        _workers = [.. workers];
        foreach (Worker worker in _workers)
        {
            worker.Thread.Start();
        }
    }

    /// <summary>Publishes <see cref="EventsPerInvoke"/> events and waits until every reader has checked its share.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public virtual void Transfer()
    {
        EventPipe pipe = _pipe!;
        long first = _nextSequence;
        _first = first;
        pipe.BeginInvocation(first, EventsPerInvoke);
        foreach (Worker worker in _workers)
        {
            worker.Start.Release();
        }

        Exception? writerError = null;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            pipe.Write(0, first, pipe.Writers, EventsPerInvoke / pipe.Writers);
        }
        catch (Exception e)
        {
            writerError = e;
            pipe.Abort();
        }

        long writerAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        for (int i = 0; i < _workers.Length; i++)
        {
            if (!_done.Wait(Timeout))
            {
                pipe.Abort();
                throw new TimeoutException(
                    $"{Name} ({EventBytes} B): {_workers.Length - i} of {_workers.Length} writer/reader threads did not finish within {Timeout.TotalSeconds} s: events were lost");
            }
        }

        _nextSequence = first + EventsPerInvoke;
        Verify(first, writerError, writerAllocated);
    }

    /// <summary>Stops the threads and releases the implementation.</summary>
    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _stopping = true;
        _pipe?.Abort();
        foreach (Worker worker in _workers)
        {
            worker.Start.Release();
        }

        foreach (Worker worker in _workers)
        {
            worker.Thread.Join();
        }

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

    private void WorkerLoop(Worker worker)
    {
        while (true)
        {
            worker.Start.Wait();
            if (_stopping)
            {
                return;
            }

            EventPipe pipe = _pipe!;
            long first = _first;
            worker.Error = null;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (worker.IsWriter)
                {
                    pipe.Write(worker.Index, first + worker.Index, pipe.Writers, EventsPerInvoke / pipe.Writers);
                }
                else
                {
                    worker.Sum = pipe.Read(worker.Index, first, EventsPerInvoke);
                }
            }
            catch (Exception e)
            {
                worker.Error = e;
                pipe.Abort();
            }

            worker.Allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
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
        Exception? error = writerError ?? Array.Find(_workers, w => w.Error is not null)?.Error;
        if (error is not null)
        {
            string detail = string.Join("; ", _workers.Select(w => $"{w}: {w.Error?.Message ?? "ok"}"));
            throw new InvalidOperationException(
                $"{Name} ({EventBytes} B) failed: writer 0: {writerError?.Message ?? "ok"}; {detail}", error);
        }

        EventPipe pipe = _pipe!;

        // Sum of first .. first + n - 1.
        const long n = EventsPerInvoke;
        long expectedSum = (n * first) + (n * (n - 1) / 2);
        Worker[] readers = Array.FindAll(_workers, w => !w.IsWriter);
        if (pipe.EachReaderSeesAll)
        {
            foreach (Worker reader in readers)
            {
                if (reader.Sum != expectedSum)
                {
                    throw new InvalidOperationException(
                        $"{Name} ({EventBytes} B): {reader}'s sum of sequence numbers is {reader.Sum}, expected {expectedSum} for [{first}, {first + n - 1}]");
                }
            }
        }
        else if (readers.Sum(r => r.Sum) != expectedSum)
        {
            throw new InvalidOperationException(
                $"{Name} ({EventBytes} B): the readers' total of sequence numbers is {readers.Sum(r => r.Sum)}, expected {expectedSum} for [{first}, {first + n - 1}]");
        }

        // The first invocation may allocate (first-call initialisation). A code path that a thread reaches for the first
        // time later (the first time a reader catches up with the writer, say) may allocate once more, in one more
        // invocation: that is initialisation too, and it is reported. An allocation per event or per batch shows up in
        // every invocation, so a second allocating invocation fails the benchmark.
        long allocated = writerAllocated + _workers.Sum(w => w.Allocated);
        if (_invocations++ > 0 && pipe.MustNotAllocate && allocated != 0)
        {
            string detail = string.Join(", ", _workers.Select(w => $"{w}: {w.Allocated} B"));
            string message = $"{Name} ({EventBytes} B) allocated in invocation {_invocations} ({n} events): writer 0: {writerAllocated} B, {detail}";
            if (++_lateAllocatingInvocations > 1)
            {
                throw new InvalidOperationException($"{message}; a second invocation that allocates after the first; the budget is 0");
            }

            Console.WriteLine($"// {message} (one-time initialisation allowed once; a second one fails)");
        }
    }

    private sealed class Worker
    {
        public Worker(ThroughputBenchmark owner, bool isWriter, int index)
        {
            IsWriter = isWriter;
            Index = index;
            Thread = new Thread(() => owner.WorkerLoop(this)) { IsBackground = true, Name = $"bench-{this}" };
        }

        public SemaphoreSlim Start { get; } = new(0);

        public Thread Thread { get; }

        public bool IsWriter { get; }

        public int Index { get; }

        public long Sum { get; set; }

        public long Allocated { get; set; }

        public Exception? Error { get; set; }

        public override string ToString() => IsWriter ? $"writer {Index}" : $"reader {Index}";
    }
}
