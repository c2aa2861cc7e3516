namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Drives one <see cref="EventPipe"/>: starts its extra writer threads and its reader threads, then moves events through
/// it one transfer at a time and checks every transfer. <see cref="ThroughputBenchmark"/> (BenchmarkDotNet) and the
/// <c>curves</c> harness both time <see cref="Transfer"/>, so every implementation is timed, waited for and checked the
/// same way.
/// </summary>
/// <remarks>
/// <para>Threads: writer 0 is the calling thread; further writers and the readers are long-lived threads started by the
/// constructor. Each transfer hands them the sequence range through a semaphore (no <c>Task.Run</c>, no thread start in
/// the measured region), writes its own share, then waits for every other thread's done signal. The signals cost
/// microseconds against the milliseconds a transfer takes. A pipe whose readers are threads of its own (a consumer
/// group's members) uses the reader thread only to wait for its completion signal.</para>
/// <para>Sequences: writer <c>w</c> of <c>W</c> publishes <c>first + w</c>, <c>first + w + W</c>, ... so that the
/// transfer covers <c>[first, first + count)</c> once; consecutive transfers continue the sequence. Readers check every
/// event (order per writer and payload) and sum the sequence numbers.</para>
/// <para>Checks: a transfer throws when a reader's sum differs from the arithmetic series (each reader's, for a fan-out;
/// their total, for partitioned readers), when any side failed, when the readers do not finish within
/// <see cref="Timeout"/> (lost events), or when an implementation that must not allocate allocated on any of its threads
/// in two transfers after its first (one late first-use initialisation is reported, not failed); "its threads" include a
/// consumer-group member's own thread, which the pipe reports (<see cref="EventPipe.ReaderThreadsAllocated"/>).</para>
/// <para>Thread safety: one thread calls <see cref="Transfer"/> and <see cref="Dispose"/>.</para>
/// </remarks>
public sealed class PipeDriver : IDisposable
{
    /// <summary>How long a transfer waits for the readers after writing before it declares events lost.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly EventPipe _pipe;
    private readonly string _name;
    private readonly SemaphoreSlim _done = new(0);
    private readonly Worker[] _workers;
    private long _nextSequence;
    private long _transfers;
    private int _lateAllocatingTransfers;
    private bool _disposed;

    // Written by the calling thread before a worker's Start.Release, read by the worker after Start.Wait (the
    // semaphore orders them); the results the other way round through _done.
    private long _first;
    private int _count;
    private bool _stopping;

    /// <summary>Takes ownership of <paramref name="pipe"/> and starts its extra writer and reader threads.</summary>
    /// <param name="pipe">The implementation under test; disposed with the driver.</param>
    /// <param name="name">The name failures report (implementation and event size).</param>
    public PipeDriver(EventPipe pipe, string name)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        if (pipe.Writers < 1 || pipe.Readers < 1)
        {
            throw new ArgumentException($"{name}: {pipe.Writers} writers and {pipe.Readers} readers are not supported; both must be at least 1", nameof(pipe));
        }

        _pipe = pipe;
        _name = name;
        var workers = new List<Worker>();
        for (int w = 1; w < pipe.Writers; w++)
        {
            workers.Add(new Worker(this, isWriter: true, w));
        }

        for (int r = 0; r < pipe.Readers; r++)
        {
            workers.Add(new Worker(this, isWriter: false, r));
        }

        _workers = [.. workers];
        foreach (Worker worker in _workers)
        {
            worker.Thread.Start();
        }
    }

    /// <summary>The pipe's writer count: a transfer's event count must be a multiple of it.</summary>
    public int Writers => _pipe.Writers;

    /// <summary>
    /// Publishes <paramref name="count"/> events (sequence numbers continuing the previous transfer's) and waits until
    /// every reader has checked its share; throws when a check failed.
    /// </summary>
    /// <param name="count">Events over all writers; a positive multiple of <see cref="Writers"/>.</param>
    public void Transfer(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0 || count % _pipe.Writers != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be a positive multiple of the {_pipe.Writers} writers");
        }

        EventPipe pipe = _pipe;
        long first = _nextSequence;
        _first = first;
        _count = count;
        pipe.BeginInvocation(first, count);
        foreach (Worker worker in _workers)
        {
            worker.Start.Release();
        }

        Exception? writerError = null;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            pipe.Write(0, first, pipe.Writers, count / pipe.Writers);
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
                    $"{_name}: {_workers.Length - i} of {_workers.Length} writer/reader threads did not finish within {Timeout.TotalSeconds} s: events were lost");
            }
        }

        _nextSequence = first + count;
        Verify(first, count, writerError, writerAllocated);
    }

    /// <summary>Stops the threads and disposes the pipe.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        _pipe.Abort();
        foreach (Worker worker in _workers)
        {
            worker.Start.Release();
        }

        foreach (Worker worker in _workers)
        {
            worker.Thread.Join();
        }

        _pipe.Dispose();
        _done.Dispose();
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

            EventPipe pipe = _pipe;
            long first = _first;
            int count = _count;
            worker.Error = null;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (worker.IsWriter)
                {
                    pipe.Write(worker.Index, first + worker.Index, pipe.Writers, count / pipe.Writers);
                }
                else
                {
                    worker.Sum = pipe.Read(worker.Index, first, count);
                }
            }
            catch (Exception e)
            {
                worker.Error = e;
                pipe.Abort();
            }

            worker.Allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            worker.BehindAllocated = worker.IsWriter ? 0 : pipe.ReaderThreadsAllocated(worker.Index);
            _done.Release();
        }
    }

    private void Verify(long first, int count, Exception? writerError, long writerAllocated)
    {
        Exception? error = writerError ?? Array.Find(_workers, w => w.Error is not null)?.Error;
        if (error is not null)
        {
            string detail = string.Join("; ", _workers.Select(w => $"{w}: {w.Error?.Message ?? "ok"}"));
            throw new InvalidOperationException($"{_name} failed: writer 0: {writerError?.Message ?? "ok"}; {detail}", error);
        }

        EventPipe pipe = _pipe;

        // Sum of first .. first + n - 1.
        long n = count;
        long expectedSum = (n * first) + (n * (n - 1) / 2);
        Worker[] readers = Array.FindAll(_workers, w => !w.IsWriter);
        if (pipe.EachReaderSeesAll)
        {
            foreach (Worker reader in readers)
            {
                if (reader.Sum != expectedSum)
                {
                    throw new InvalidOperationException(
                        $"{_name}: {reader}'s sum of sequence numbers is {reader.Sum}, expected {expectedSum} for [{first}, {first + n - 1}]");
                }
            }
        }
        else if (readers.Sum(r => r.Sum) != expectedSum)
        {
            throw new InvalidOperationException(
                $"{_name}: the readers' total of sequence numbers is {readers.Sum(r => r.Sum)}, expected {expectedSum} for [{first}, {first + n - 1}]");
        }

        // The first transfer may allocate (first-call initialisation). A code path that a thread reaches for the first
        // time later (the first time a reader catches up with the writer, say) may allocate once more, in one more
        // transfer: that is initialisation too, and it is reported. An allocation per event or per batch shows up in
        // every transfer, so a second allocating transfer fails.
        // A reader's count includes the consumer-group member's thread behind it, which the pipe reports.
        long allocated = writerAllocated + _workers.Sum(w => w.Allocated + w.BehindAllocated);
        if (_transfers++ > 0 && pipe.MustNotAllocate && allocated != 0)
        {
            string detail = string.Join(", ", _workers.Select(w => w.BehindAllocated == 0 ? $"{w}: {w.Allocated} B" : $"{w}: {w.Allocated} B (its member's thread: {w.BehindAllocated} B)"));
            string message = $"{_name} allocated in transfer {_transfers} ({n} events): writer 0: {writerAllocated} B, {detail}";
            if (++_lateAllocatingTransfers > 1)
            {
                throw new InvalidOperationException($"{message}; a second transfer that allocates after the first; the budget is 0");
            }

            Console.WriteLine($"// {message} (one-time initialisation allowed once; a second one fails)");
        }
    }

    private sealed class Worker
    {
        public Worker(PipeDriver owner, bool isWriter, int index)
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

        /// <summary>A reader's: what the thread behind it (a consumer-group member's) allocated in the transfer.</summary>
        public long BehindAllocated { get; set; }

        public Exception? Error { get; set; }

        public override string ToString() => IsWriter ? $"writer {Index}" : $"reader {Index}";
    }
}
