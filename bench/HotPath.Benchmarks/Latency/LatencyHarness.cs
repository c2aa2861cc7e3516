using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using HdrHistogram;
using HotPath.Benchmarks.Reports;
using HotPath.Benchmarks.WaitStrategies;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Benchmarks.Latency;

/// <summary>
/// One-way latency, publish → handler, outside BenchmarkDotNet: a writer thread publishes events at a fixed rate,
/// each carrying its scheduled send time; the receiving side (a HotPath consumer-group member, or a thread reading a
/// bounded SPSC <see cref="Channel{T}"/>) records <c>now - scheduled</c> into an HdrHistogram and checks each event's
/// sequence number. Timing from the scheduled, not the actual, send time counts a writer's stall against every
/// event it delays (no coordinated omission). The first quarter of each run is warm-up and not recorded.
/// </summary>
public static class LatencyHarness
{
    /// <summary>Runs every configuration and writes the markdown table to <paramref name="output"/>.</summary>
    /// <param name="rate">Events per second.</param>
    /// <param name="seconds">Seconds per configuration (a quarter of them warm-up).</param>
    /// <param name="output">The markdown file to write, or null for standard output only.</param>
    /// <returns>0, or 1 when a run failed its checks.</returns>
    public static int Run(int rate, double seconds, string? output)
    {
        var rows = new List<string>();
        bool failed = false;
        bool canPin = Environment.ProcessorCount >= 2 && CpuAffinity.IsSupported;
        // The machine's own floor and jitter first: the writer's loop timing itself, no hand-off to another thread.
        double? tripBefore = CoreToCore.RoundTripNanoseconds();
        Result floor = RunFloor(rate, seconds, canPin);
        rows.Add(Row("Machine floor (no hand-off)", "—", canPin, rate, floor, tripBefore, CoreToCore.RoundTripNanoseconds()));
        Console.WriteLine(rows[^1]);
        foreach (string impl in new[] { "HotPath", "Channel" })
        {
            foreach (string wait in new[] { "BusySpin", "Yielding", "Blocking" })
            {
                foreach (bool pinned in canPin ? new[] { false, true } : new[] { false })
                {
                    tripBefore = CoreToCore.RoundTripNanoseconds();
                    Result result = impl == "HotPath" ? RunHotPath(rate, seconds, wait, pinned) : RunChannel(rate, seconds, wait, pinned);
                    failed |= result.Error is not null;
                    rows.Add(Row(impl, wait, pinned, rate, result, tripBefore, CoreToCore.RoundTripNanoseconds()));
                    Console.WriteLine(rows[^1]);
                }
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"One-way latency, publish → handler, {rate:N0} events/s of 24 bytes, {seconds:0.#} s per row (first quarter not recorded), microseconds.");
        text.AppendLine();
        text.AppendLine("Columns p50 to max: from the moment the writer calls publish to the handler. The last three columns time from the");
        text.AppendLine("*scheduled* send time instead, so a writer that falls behind (descheduled on a loaded machine) is charged for every");
        text.AppendLine("event it delays (no coordinated omission). Each receiver checks every sequence number; a gap or reorder fails the run.");
        text.AppendLine("The *machine floor* row runs the writer's loop alone and records, at each send, the time from its timestamp to a second");
        text.AppendLine("one taken right after: what two clock reads cost and, in the high percentiles, how long this machine itself stalls a");
        text.AppendLine("running thread (interrupts, the hypervisor taking the vCPU) with no hand-off at all. HotPath's `BusySpin` rows turn");
        text.AppendLine("batch coalescing off (`CoalesceBelow = 0`), as a latency-bound deployment would; the other HotPath rows keep the default.");
        text.AppendLine("*Round trip*: the core-to-core round trip of one cache line between a thread pinned to CPU 0 and one pinned to CPU 1,");
        text.AppendLine("measured right before and right after the row, in ns. On a virtual machine it moves with the host's placement of the");
        text.AppendLine("virtual CPUs (on the machine these figures were tuned on: about 60, 130 or 570 ns, switching every second or so), and");
        text.AppendLine("the one-way latency of any hand-off moves with it: half a round trip is the floor of a hand-off in that placement.");
        text.AppendLine();
        text.AppendLine("| Implementation | Wait | Pinned | Events recorded | p50 | p90 | p99 | p99.9 | p99.99 | max | p50 from schedule | p99 from schedule | max from schedule | Round trip before/after | Check |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (string row in rows)
        {
            text.AppendLine(row);
        }

        if (!canPin)
        {
            text.AppendLine();
            text.AppendLine("Pinned rows skipped: thread pinning needs 2 cores and Linux or Windows.");
        }

        Console.WriteLine(text);
        if (output is not null)
        {
            File.WriteAllText(output, text.ToString());
        }

        return failed ? 1 : 0;
    }

    private static string Row(string impl, string wait, bool pinned, int rate, Result r, double? tripBefore, double? tripAfter)
    {
        // Two decimals: a sub-microsecond p50 (0.25 us against 0.35) must be told apart.
        static string Us(LongHistogram h, double percentile) =>
            (h.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture);
        static string Ns(double? ns) => ns is double v ? v.ToString("F0", CultureInfo.InvariantCulture) : "n/a";
        LongHistogram h = r.Histogram;
        string max = (h.GetMaxValue() * 1e6 / Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture);
        string check = r.Error ?? "every sequence in order";
        string pin = pinned ? r.PinNote : "no";
        LongHistogram s = r.FromSchedule;
        string scheduledMax = (s.GetMaxValue() * 1e6 / Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture);
        return $"| {impl} | {wait} | {pin} | {h.TotalCount:N0} | {Us(h, 50)} | {Us(h, 90)} | {Us(h, 99)} | {Us(h, 99.9)} | {Us(h, 99.99)} | {max} | {Us(s, 50)} | {Us(s, 99)} | {scheduledMax} | {Ns(tripBefore)}/{Ns(tripAfter)} | {check} |";
    }

    private static LongHistogram NewHistogram() => new(Stopwatch.Frequency * 10, 3);

    private static Result RunHotPath(int rate, double seconds, string wait, bool pinned)
    {
        WaitStrategy strategy = HotPathGroupWait.Named(wait);
        var recorder = new Recorder(Count(rate, seconds));
        using var topic = new Topic<LatencyEvent>(new TopicOptions
        {
            Name = "latency",
            Capacity = 1 << 16,
            PublishMode = PublishMode.SingleWriter,
            WaitStrategy = strategy,
        });
        using var group = new ConsumerGroup<LatencyEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "latency",
            WaitStrategy = strategy,
            Cores = pinned ? [1] : null,
            // BusySpin is the latency configuration: no coalescing pause after a small batch.
            CoalesceBelow = wait == "BusySpin" ? 0 : BatchCoalescing.DefaultBelow,
        });
        GroupMember<LatencyEvent> member = group.Join(new RecordingHandler(recorder));
        Partition<LatencyEvent> partition = topic[0];
        string? writerPin = RunWriter(rate, recorder.Count, pinned, e => partition.Publish(in e));
        recorder.WaitDone(TimeSpan.FromSeconds(seconds + 30));
        string pinNote = $"writer {writerPin ?? "cpu 0"}, member {(member.PinnedCpu >= 0 ? $"cpu {member.PinnedCpu}" : member.PinningError ?? "not pinned")}";
        return new Result(recorder.Histogram, recorder.FromSchedule, recorder.Error, pinNote);
    }

    private static Result RunChannel(int rate, double seconds, string wait, bool pinned)
    {
        var recorder = new Recorder(Count(rate, seconds));
        Channel<LatencyEvent> channel = Channel.CreateBounded<LatencyEvent>(new BoundedChannelOptions(1 << 16)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        string? readerPin = null;
        var reader = new Thread(() =>
        {
            if (pinned && !CpuAffinity.TryPinCurrentThread(1, out readerPin))
            {
                readerPin ??= "pinning failed";
            }

            ChannelReader<LatencyEvent> r = channel.Reader;
            int idle = 0;
            for (long received = 0; received < recorder.Count;)
            {
                if (r.TryRead(out LatencyEvent e))
                {
                    recorder.Accept(in e);
                    received++;
                    idle = 0;
                }
                else if (wait == "BusySpin")
                {
                    Thread.SpinWait(1);
                }
                else if (wait == "Blocking")
                {
                    // The channel's own blocking wait: park until the writer signals.
                    ValueTask<bool> ready = r.WaitToReadAsync();
                    if (!ready.IsCompleted)
                    {
                        ready.AsTask().Wait();
                    }
                }
                else
                {
                    WaitStrategy.Yielding.Idle(ref idle);
                }
            }
        })
        { IsBackground = true, Name = "latency-channel-reader" };
        reader.Start();
        ChannelWriter<LatencyEvent> writer = channel.Writer;
        string? writerPin = RunWriter(rate, recorder.Count, pinned, e =>
        {
            int idle = 0;
            while (!writer.TryWrite(e))
            {
                WaitStrategy.Yielding.Idle(ref idle);
            }
        });
        recorder.WaitDone(TimeSpan.FromSeconds(seconds + 30));
        reader.Join(TimeSpan.FromSeconds(5));
        string pinNote = $"writer {writerPin ?? "cpu 0"}, reader {(pinned ? readerPin ?? "cpu 1" : "not pinned")}";
        return new Result(recorder.Histogram, recorder.FromSchedule, recorder.Error, pinNote);
    }

    /// <summary>The writer's loop alone: at each scheduled send, the time between its send timestamp and the next clock read.</summary>
    private static Result RunFloor(int rate, double seconds, bool pinned)
    {
        var recorder = new Recorder(Count(rate, seconds));
        string? writerPin = RunWriter(rate, recorder.Count, pinned, e => recorder.Accept(in e));
        recorder.WaitDone(TimeSpan.FromSeconds(5));
        return new Result(recorder.Histogram, recorder.FromSchedule, recorder.Error, $"writer {writerPin ?? "cpu 0"}");
    }

    private static long Count(int rate, double seconds) => Math.Max(1000, (long)(rate * seconds));

    /// <summary>Publishes <paramref name="count"/> events on a new thread at <paramref name="rate"/>; returns the pinning error, if any.</summary>
    private static string? RunWriter(int rate, long count, bool pinned, Action<LatencyEvent> publish)
    {
        string? error = null;
        var thread = new Thread(() =>
        {
            if (pinned && !CpuAffinity.TryPinCurrentThread(0, out error))
            {
                error ??= "pinning failed";
            }

            double interval = (double)Stopwatch.Frequency / rate;
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < count; i++)
            {
                long scheduled = start + (long)(i * interval);
                while (Stopwatch.GetTimestamp() < scheduled)
                {
                    Thread.SpinWait(8);
                }

                publish(new LatencyEvent { Sequence = i, Scheduled = scheduled, Sent = Stopwatch.GetTimestamp() });
            }
        })
        { IsBackground = true, Name = "latency-writer" };
        thread.Start();
        thread.Join();
        return error;
    }

    private sealed record Result(LongHistogram Histogram, LongHistogram FromSchedule, string? Error, string PinNote);

    /// <summary>The receiving side's state: the histogram, the sequence check and the completion signal.</summary>
    private sealed class Recorder(long count)
    {
        private readonly ManualResetEventSlim _done = new();
        private readonly long _warmUp = count / 4;
        private long _expected;

        public long Count { get; } = count;

        public LongHistogram Histogram { get; } = NewHistogram();

        public LongHistogram FromSchedule { get; } = NewHistogram();

        public string? Error { get; private set; }

        public void Accept(in LatencyEvent e)
        {
            long now = Stopwatch.GetTimestamp();
            if (e.Sequence != _expected)
            {
                Error ??= $"FAILED: received sequence {e.Sequence} where {_expected} was expected";
                Console.Error.WriteLine(Error);
                _done.Set();
                return;
            }

            if (e.Sequence >= _warmUp)
            {
                Histogram.RecordValue(Math.Max(0, now - e.Sent));
                FromSchedule.RecordValue(Math.Max(0, now - e.Scheduled));
            }

            if (++_expected == Count)
            {
                _done.Set();
            }
        }

        public void WaitDone(TimeSpan timeout)
        {
            if (!_done.Wait(timeout))
            {
                Error ??= $"FAILED: only {_expected} of {Count} events arrived within {timeout.TotalSeconds} s";
                Console.Error.WriteLine(Error);
            }
        }
    }

    private readonly struct RecordingHandler(Recorder recorder) : IEventHandler<LatencyEvent>
    {
        public void OnEvent(ref readonly LatencyEvent @event, int partition, long offset, bool endOfBatch) => recorder.Accept(in @event);
    }
}
