using System.Diagnostics;
using System.Runtime.InteropServices;
using FASTER.core;
using HdrHistogram;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Benchmarks.Journal;

/// <summary>What one timed run measured, and its check.</summary>
/// <param name="Events">Events published (or enqueued), or 0 for a plain file write.</param>
/// <param name="Bytes">Payload bytes: events x 64, or the bytes a plain file write wrote.</param>
/// <param name="Seconds">Wall time of the timed part.</param>
/// <param name="DiskBytes">What the run left on disk before it was deleted (journal or log files, frames and headers included).</param>
/// <param name="WriterAllocated">Bytes the publishing thread allocated during the timed part.</param>
/// <param name="Commits">Commit latency per batch (Stopwatch ticks), or null.</param>
/// <param name="Error">Null when every check passed, else what failed.</param>
internal sealed record RunResult(long Events, long Bytes, double Seconds, long DiskBytes, long WriterAllocated, LongHistogram? Commits, string? Error);

/// <summary>The timed runs of the journal harness: plain file writes, HotPath durable topics, FasterLog.</summary>
/// <remarks>Each run creates its files in a fresh folder under the harness's temp root and deletes them after.</remarks>
internal static class JournalRuns
{
    /// <summary>Bytes per event.</summary>
    public const int EventBytes = 64;

    /// <summary>Events per batch in the per-batch commit rows.</summary>
    public const int BatchEvents = 1024;

    /// <summary>HotPath's ring: 64K slots.</summary>
    public const int Capacity = 1 << 16;

    /// <summary>HotPath's journal segments: 64 MiB.</summary>
    public const long SegmentBytes = 64L << 20;

    /// <summary>The sync interval of the Interval rows.</summary>
    public static readonly TimeSpan SyncInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>FasterLog's page: 4 MiB (2^22, FASTER's default).</summary>
    public const int FasterPageSizeBits = 22;

    /// <summary>FasterLog's in-memory buffer: 16 MiB (2^24, four pages).</summary>
    public const int FasterMemorySizeBits = 24;

    /// <summary>FasterLog's segment files: 1 GiB (2^30, FASTER's default).</summary>
    public const int FasterSegmentSizeBits = 30;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>The class of the device <c>Devices.CreateLogDevice</c> gave the last FasterLog run (it depends on the OS).</summary>
    public static string FasterDevice { get; private set; } = "not run";

    /// <summary>Writes <paramref name="bytes"/> to a new file in chunks of <paramref name="chunk"/> bytes; with <paramref name="sync"/>, a final Flush(true).</summary>
    public static RunResult FileStreamWrite(string root, long bytes, int chunk, bool sync)
    {
        string path = Path.Combine(root, $"filestream-{chunk}-{(sync ? "sync" : "cache")}.dat");
        byte[] buffer = new byte[chunk];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(i * 31);
        }

        try
        {
            long start = Stopwatch.GetTimestamp();
            using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                for (long left = bytes; left > 0;)
                {
                    int count = (int)Math.Min(chunk, left);
                    stream.Write(buffer, 0, count);
                    left -= count;
                }

                if (sync)
                {
                    stream.Flush(flushToDisk: true);
                }
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long length = new FileInfo(path).Length;
            string? error = length == bytes ? null : $"FAILED: the file has {length} bytes where {bytes} were written";
            return new RunResult(0, bytes, seconds, length, 0, null, error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The options of every HotPath run: one partition, single writer, 64K slots, the journal in <paramref name="directory"/>.</summary>
    public static TopicOptions HotPathOptions(string directory, SyncPolicy sync, bool preallocate = true) => new()
    {
        Name = "journal",
        PartitionCount = 1,
        Capacity = Capacity,
        PublishMode = PublishMode.SingleWriter,
        Durability = new DurabilityOptions
        {
            Directory = directory,
            Sync = sync,
            SyncInterval = SyncInterval,
            SegmentBytes = SegmentBytes,
            PreallocateSegments = preallocate,
            MaxBatch = BatchEvents,
        },
    };

    /// <summary>
    /// A HotPath durable topic: publishes <paramref name="events"/> events and waits until the last is acknowledged
    /// (with <paramref name="group"/>, also until one consumer group has read them all); or, with
    /// <paramref name="perBatch"/>, publishes batches of <see cref="BatchEvents"/> and waits for each batch's last event
    /// (recording that wait), for at most <paramref name="capSeconds"/>. With <paramref name="reopen"/>, reopens the
    /// directory afterwards and reads every event back through a fresh group.
    /// </summary>
    public static RunResult HotPath(string root, SyncPolicy sync, long events, bool group, bool perBatch, double capSeconds, bool reopen, int spanBatch = 0, bool preallocate = true)
    {
        string directory = Path.Combine(root, $"hotpath-{sync}-{(group ? "group" : "nogroup")}-{(perBatch ? "batch" : "all")}-{spanBatch}-{(preallocate ? "prealloc" : "grow")}");
        // With spanBatch, the events are published in PublishBatch calls of that many from one reused array.
        JournalEvent[] span = new JournalEvent[Math.Max(spanBatch, 1)];
        Directory.CreateDirectory(directory);
        try
        {
            TopicOptions options = HotPathOptions(directory, sync, preallocate);
            LongHistogram? commits = perBatch ? NewHistogram() : null;
            long published = 0;
            double seconds;
            long allocated;
            string? error = null;
            using (var topic = new Topic<JournalEvent>(options))
            {
                var counter = new ReadCounter(events);
                using ConsumerGroup<JournalEvent>? consumers = group
                    ? new ConsumerGroup<JournalEvent>(topic, new ConsumerGroupOptions { GroupId = "reader" })
                    : null;
                consumers?.Join(new CheckingHandler(counter));

                Partition<JournalEvent> partition = topic[0];
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                if (!perBatch && spanBatch > 0)
                {
                    while (published < events)
                    {
                        int n = (int)Math.Min(spanBatch, events - published);
                        for (int k = 0; k < n; k++)
                        {
                            span[k] = JournalEvent.Create(published + k);
                        }

                        partition.PublishBatch(span.AsSpan(0, n));
                        published += n;
                    }

                    if (!partition.WaitAcknowledged(published - 1, Timeout))
                    {
                        error = $"FAILED: offset {published - 1} not acknowledged within {Timeout.TotalSeconds} s (acknowledged end {partition.AcknowledgedEnd})";
                    }
                }
                else if (!perBatch)
                {
                    for (; published < events; published++)
                    {
                        JournalEvent e = JournalEvent.Create(published);
                        partition.Publish(in e);
                    }

                    if (!partition.WaitAcknowledged(published - 1, Timeout))
                    {
                        error = $"FAILED: offset {published - 1} not acknowledged within {Timeout.TotalSeconds} s (acknowledged end {partition.AcknowledgedEnd})";
                    }

                    if (group && error is null)
                    {
                        error = counter.Wait(Timeout);
                    }
                }
                else
                {
                    long cap = (long)(capSeconds * Stopwatch.Frequency);
                    while (published + BatchEvents <= events && Stopwatch.GetTimestamp() - start < cap && error is null)
                    {
                        long last = 0;
                        for (int k = 0; k < BatchEvents; k++, published++)
                        {
                            JournalEvent e = JournalEvent.Create(published);
                            last = partition.Publish(in e);
                        }

                        long waitStart = Stopwatch.GetTimestamp();
                        if (!partition.WaitAcknowledged(last, Timeout))
                        {
                            error = $"FAILED: offset {last} not acknowledged within {Timeout.TotalSeconds} s";
                        }

                        Record(commits!, Stopwatch.GetTimestamp() - waitStart);
                    }
                }

                seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                if (error is null && partition.AcknowledgedEnd != published)
                {
                    error = $"FAILED: acknowledged end {partition.AcknowledgedEnd} where {published} were published";
                }

                error ??= counter.Error;
            }

            long diskBytes = DirectoryBytes(directory);
            if (reopen && error is null)
            {
                error = Reopen(options, published);
            }

            return new RunResult(published, published * EventBytes, seconds, diskBytes, allocated, commits, error);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// FasterLog on a local log device: enqueues <paramref name="events"/> 64-byte entries, then one commit and a wait
    /// for it; or, with <paramref name="perBatch"/>, batches of <see cref="BatchEvents"/> entries each followed by a
    /// commit and a wait for it (recorded), for at most <paramref name="capSeconds"/>.
    /// </summary>
    public static RunResult Faster(string root, long events, bool perBatch, double capSeconds)
    {
        string directory = Path.Combine(root, $"fasterlog-{(perBatch ? "batch" : "all")}");
        Directory.CreateDirectory(directory);
        try
        {
            LongHistogram? commits = perBatch ? NewHistogram() : null;
            long enqueued = 0;
            double seconds;
            long allocated;
            string? error = null;
            using (IDevice device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: false))
            using (var log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                LogCommitDir = directory,
                PageSizeBits = FasterPageSizeBits,
                MemorySizeBits = FasterMemorySizeBits,
                SegmentSizeBits = FasterSegmentSizeBits,
            }))
            {
                FasterDevice = device.GetType().Name;
                JournalEvent e = default;
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                if (!perBatch)
                {
                    for (; enqueued < events; enqueued++)
                    {
                        e = JournalEvent.Create(enqueued);
                        log.Enqueue(MemoryMarshal.AsBytes(new ReadOnlySpan<JournalEvent>(in e)));
                    }

                    log.Commit(spinWait: false);
                    log.WaitForCommit(log.TailAddress);
                }
                else
                {
                    long cap = (long)(capSeconds * Stopwatch.Frequency);
                    while (enqueued + BatchEvents <= events && Stopwatch.GetTimestamp() - start < cap)
                    {
                        for (int k = 0; k < BatchEvents; k++, enqueued++)
                        {
                            e = JournalEvent.Create(enqueued);
                            log.Enqueue(MemoryMarshal.AsBytes(new ReadOnlySpan<JournalEvent>(in e)));
                        }

                        long waitStart = Stopwatch.GetTimestamp();
                        log.Commit(spinWait: false);
                        log.WaitForCommit(log.TailAddress);
                        Record(commits!, Stopwatch.GetTimestamp() - waitStart);
                    }
                }

                seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                if (log.CommittedUntilAddress != log.TailAddress)
                {
                    error = $"FAILED: FasterLog committed until {log.CommittedUntilAddress}, tail {log.TailAddress}";
                }
            }

            return new RunResult(enqueued, enqueued * EventBytes, seconds, DirectoryBytes(directory), allocated, commits, error);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Records <paramref name="ticks"/>, clamped to what the histogram tracks (a wait may time out at 120 s).</summary>
    private static void Record(LongHistogram histogram, long ticks) =>
        histogram.RecordValue(Math.Clamp(ticks, 0, histogram.HighestTrackableValue));

    /// <summary>A histogram of Stopwatch ticks up to 60 s, 3 significant digits.</summary>
    public static LongHistogram NewHistogram() => new(Stopwatch.Frequency * 60, 3);

    /// <summary>
    /// Reopens the topic's directory (a new topic with the same options): its end offset must be <paramref name="events"/>,
    /// and a fresh group must read every event back, in order and intact.
    /// </summary>
    private static string? Reopen(TopicOptions options, long events)
    {
        using var topic = new Topic<JournalEvent>(options);
        long end = topic[0].EndOffset;
        if (end != events)
        {
            return $"FAILED: reopened, the end offset is {end} where {events} were published";
        }

        var counter = new ReadCounter(events);
        using (var group = new ConsumerGroup<JournalEvent>(topic, new ConsumerGroupOptions { GroupId = "reopen-check", DurableOffsets = false }))
        {
            group.Join(new CheckingHandler(counter));
            string? error = counter.Wait(Timeout);
            if (error is not null)
            {
                return $"{error} (reopened)";
            }
        }

        return counter.Error is null ? null : $"{counter.Error} (reopened)";
    }

    private static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>What a group read: how many events, the first error (an offset out of order or an event not intact).</summary>
    private sealed class ReadCounter(long expected)
    {
        private readonly ManualResetEventSlim _done = new(expected == 0);
        private long _next;

        public string? Error { get; private set; }

        public void Accept(in JournalEvent e, long offset)
        {
            if (Error is not null)
            {
                return;
            }

            if (offset != _next || !JournalEvent.IsIntact(in e, offset))
            {
                Error = offset != _next
                    ? $"FAILED: the group read offset {offset} where {_next} was expected"
                    : $"FAILED: the event at offset {offset} is not intact (first field {e.V0})";
                _done.Set();
                return;
            }

            if (++_next == expected)
            {
                _done.Set();
            }
        }

        public string? Wait(TimeSpan timeout) =>
            _done.Wait(timeout) ? Error : $"FAILED: the group read {Volatile.Read(ref _next)} of {expected} events within {timeout.TotalSeconds} s";
    }

    private readonly struct CheckingHandler(ReadCounter counter) : IEventHandler<JournalEvent>
    {
        public void OnEvent(ref readonly JournalEvent @event, int partition, long offset, bool endOfBatch) => counter.Accept(in @event, offset);
    }
}
