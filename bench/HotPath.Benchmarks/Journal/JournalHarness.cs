using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using FASTER.core;
using HdrHistogram;
using HotPath.Durability;
using static HotPath.Benchmarks.Reports.RunReport;

namespace HotPath.Benchmarks.Journal;

/// <summary>
/// Durable-topic throughput and commit latency, outside BenchmarkDotNet, all on the same disk in one run: a plain
/// <see cref="FileStream"/> sequential write (the bandwidth baseline), HotPath durable topics under each
/// <see cref="SyncPolicy"/>, and FasterLog (Microsoft FASTER) as a peer baseline. Every row is repeated, the rows
/// interleaved per repeat so a slow patch of the machine hits them all; medians with min and max. Ratios compare rows
/// of the same repeat. The files live in a temporary folder (under the working directory unless told otherwise) that
/// is deleted afterwards; the run is sized to write at most <see cref="DiskBudgetBytes"/> in total.
/// </summary>
public static class JournalHarness
{
    /// <summary>The most bytes one run of the harness writes by default, all rows and repeats together (<c>--disk-budget-mib</c>).</summary>
    public const long DiskBudgetBytes = 12L << 30;

    // Each row writes at most N events (or N x 64 bytes) per repeat (the per-batch rows stop earlier at their time cap);
    // frames, headers and FasterLog's page alignment add a little: 1.25.
    private const double WritesPerRowPerEvent = JournalRuns.EventBytes * 1.25;

    /// <summary>The pause after the warm-up pass: tier-1 compilation of what it made hot runs in the background meanwhile.</summary>
    private static readonly TimeSpan WarmUpPause = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pause before every row: the writeback a row started (a final fsync, HotPath's background seals, FasterLog's
    /// writes) settles before the next row runs, so each row, the baseline included, measures its own writes and not the
    /// tail of the previous row's.
    /// </summary>
    private static readonly TimeSpan SettlePause = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Before every row: a full blocking garbage collection (what the previous rows left, FasterLog's buffers above all,
    /// is not collected during the next row's 50 ms), then <see cref="SettlePause"/>.
    /// </summary>
    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        Thread.Sleep(SettlePause);
    }

    /// <summary>Every row, in the order they run and are reported.</summary>
    public static readonly string[] Order =
        ["fs64k", "fs1m", "fs1m-sync", "hp-none", "hp-none-default", "hp-none-span", "hp-none-group", "hp-interval", "hp-everybatch", "faster-none", "faster-batch"];

    /// <summary>Runs every row <paramref name="repeats"/> times and writes the markdown table to <paramref name="output"/>.</summary>
    /// <param name="events">Events per run (the per-batch rows stop earlier at <paramref name="seconds"/>).</param>
    /// <param name="seconds">The most seconds a per-batch row (EveryBatch, FasterLog per batch) runs.</param>
    /// <param name="repeats">Runs per row.</param>
    /// <param name="directory">Where the temporary folder goes, or null for the working directory.</param>
    /// <param name="output">The markdown file to write, or null for standard output only.</param>
    /// <param name="rows">The rows to run (the FileStream 64 KiB baseline always runs), or null for all.</param>
    /// <param name="budgetBytes">The most bytes the whole run writes (it sizes the runs), at most half the free space.</param>
    /// <returns>0, or 1 when a run failed its checks.</returns>
    public static int Run(long events, double seconds, int repeats, string? directory, string? output, IReadOnlyCollection<string>? rows = null, long budgetBytes = DiskBudgetBytes)
    {
        string[] order = rows is null ? Order : Order.Where(r => r == "fs64k" || rows.Contains(r)).ToArray();
        if (rows?.FirstOrDefault(r => !Order.Contains(r)) is string unknown)
        {
            Console.Error.WriteLine($"journal: unknown row '{unknown}' in --rows; the rows are {string.Join(", ", Order)}");
            return 1;
        }

        string parent = Path.GetFullPath(directory ?? Directory.GetCurrentDirectory());
        string root = Path.Combine(parent, $"journal-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        try
        {
            return RunIn(root, order, events, seconds, repeats, output, budgetBytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int RunIn(string root, string[] order, long requested, double seconds, int repeats, string? output, long budgetBytes)
    {
        long free = new DriveInfo(root).AvailableFreeSpace;
        long budget = Math.Min(budgetBytes, free / 2);
        // The warm-up pass counts as one more repeat (it runs at most as many events).
        long events = Math.Min(requested, (long)(budget / (WritesPerRowPerEvent * order.Length * (repeats + 1))));
        string? sizing = events < requested
            ? $"--events {requested:N0} asked for; {events:N0} run so that the run writes at most {budget / (1 << 20):N0} MiB in total ({free / (1 << 20):N0} MiB free)."
            : null;
        if (events < JournalRuns.BatchEvents)
        {
            Console.Error.WriteLine($"journal: not enough free disk space for a run ({free / (1 << 20):N0} MiB free)");
            return 1;
        }

        var results = order.ToDictionary(k => k, _ => new List<RunResult>());
        var warmUpErrors = new List<string>();
        // Repeat 0 is the warm-up (JIT, first file creations): every row once with as many events as a measured repeat,
        // not reported except for a failed check; then a pause, so that the methods the warm-up made hot finish their
        // tier-1 compilation in the background before the first measured repeat (runs of a few tens of milliseconds
        // would otherwise measure tier-0 code: a long-running journaller runs tier-1 code).
        for (int r = 0; r <= repeats; r++)
        {
            bool warmUp = r == 0;
            long n = events;
            double cap = seconds;
            if (r == 1)
            {
                Thread.Sleep(WarmUpPause);
            }

            foreach (string row in order)
            {
                Settle();
                // The reopen check runs on the warm-up and on the last repeat's sync None row.
                RunResult result = Run(root, row, n, cap, reopen: warmUp || r == repeats);
                if (!warmUp)
                {
                    results[row].Add(result);
                }
                else if (result.Error is not null)
                {
                    warmUpErrors.Add($"{Name(row)}: {result.Error}");
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(warmUp ? "warm-up" : $"repeat {r}/{repeats}"),-13} {row,-14} {result.Events,11:N0} events {result.Bytes / result.Seconds / 1e6,9:F1} MB/s {result.Seconds * 1e3,9:F1} ms {result.Error ?? "ok"}"));
            }
        }

        string text = Report(order, results, warmUpErrors, events, seconds, repeats, root, free, sizing, budget);
        Console.WriteLine(text);
        if (output is not null)
        {
            File.WriteAllText(output, text);
        }

        bool failed = warmUpErrors.Count > 0 || results.Values.SelectMany(r => r).Any(r => r.Error is not null);
        return failed ? 1 : 0;
    }

    private static RunResult Run(string root, string row, long events, double seconds, bool reopen)
    {
        try
        {
            return RunRow(root, row, events, seconds, reopen);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or FasterException)
        {
            // A journal failure (JournalException is an IOException), a full disk, a FASTER error: a failed row, not a crash.
            return new RunResult(0, 0, double.Epsilon, 0, 0, null, $"FAILED: {e.GetType().Name}: {e.Message}");
        }
    }

    private static RunResult RunRow(string root, string row, long events, double seconds, bool reopen)
    {
        long bytes = events * JournalRuns.EventBytes;
        return row switch
        {
            "fs64k" => JournalRuns.FileStreamWrite(root, bytes, 64 << 10, sync: false),
            "fs1m" => JournalRuns.FileStreamWrite(root, bytes, 1 << 20, sync: false),
            "fs1m-sync" => JournalRuns.FileStreamWrite(root, bytes, 1 << 20, sync: true),
            "hp-none" => JournalRuns.HotPath(root, SyncPolicy.None, events, group: false, perBatch: false, seconds, reopen),
            "hp-none-default" => JournalRuns.HotPath(root, SyncPolicy.None, events, group: false, perBatch: false, seconds, reopen: false, preallocate: false),
            "hp-none-span" => JournalRuns.HotPath(root, SyncPolicy.None, events, group: false, perBatch: false, seconds, reopen: false, spanBatch: 256),
            "hp-none-group" => JournalRuns.HotPath(root, SyncPolicy.None, events, group: true, perBatch: false, seconds, reopen: false),
            "hp-interval" => JournalRuns.HotPath(root, SyncPolicy.Interval, events, group: false, perBatch: false, seconds, reopen: false),
            "hp-everybatch" => JournalRuns.HotPath(root, SyncPolicy.EveryBatch, events, group: false, perBatch: true, seconds, reopen: false),
            "faster-none" => JournalRuns.Faster(root, events, perBatch: false, seconds),
            "faster-batch" => JournalRuns.Faster(root, events, perBatch: true, seconds),
            _ => throw new InvalidOperationException(row),
        };
    }

    private static string Report(string[] order, Dictionary<string, List<RunResult>> results, List<string> warmUpErrors, long events, double seconds, int repeats, string root, long free, string? sizing, long budget)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Durable topics: journal throughput and commit latency, 64-byte events, {events:N0} events per run ({events * JournalRuns.EventBytes / 1e6:F1} MB), {repeats} repeats per row after one warm-up pass of the same size and a {WarmUpPause.TotalSeconds:F0} s pause for tier-1 compilation (rows interleaved; before each, a full blocking GC and a {SettlePause.TotalMilliseconds:F0} ms pause for the previous row's writeback to settle), medians (min–max)."));
        text.AppendLine();
        text.AppendLine("| | |");
        text.AppendLine("|---|---|");
        text.AppendLine(Invariant($"| Commit | `{Commit()}` |"));
        text.AppendLine(Invariant($"| Date (UTC) | {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} |"));
        text.AppendLine(Invariant($"| CPU | {CpuModel()}, {Environment.ProcessorCount} logical cores |"));
        text.AppendLine(Invariant($"| OS | {RuntimeInformation.OSDescription} |"));
        text.AppendLine(Invariant($"| .NET | {RuntimeInformation.FrameworkDescription} |"));
        text.AppendLine(Invariant($"| Disk | {FileSystem(root)}, {free / (1L << 30):N1} GiB free at start |"));
        text.AppendLine(Invariant($"| Frame CRC-32 | {FrameChecksum.Method} |"));
        text.AppendLine(Invariant($"| Batch writes | {(JournalStaging.GathersWrites ? "events written from the ring's slots (one `pwritev` of headers and events)" : "events copied into the staging buffer, then written")} |"));
        text.AppendLine(Invariant($"| Load average (1/5/15 min) | {LoadAverage()} (at the end) |"));
        if (sizing is not null)
        {
            text.AppendLine(Invariant($"| Sizing | {sizing} |"));
        }

        text.AppendLine();
        double[] fsMBps = results["fs64k"].Select(MBps).ToArray();
        text.AppendLine("| Row | Events/run | Events/s | Payload MB/s | % of FileStream 64 KiB | Commit p50 µs | p99 µs | p99.9 µs | Disk B/event | Writer B/run | Check |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (string row in order)
        {
            List<RunResult> runs = results[row];
            bool isFile = row.StartsWith("fs", StringComparison.Ordinal);
            double[] rates = runs.Select(r => r.Events / r.Seconds).ToArray();
            double[] mbps = runs.Select(MBps).ToArray();
            double[] ratios = runs.Select((r, i) => MBps(r) / fsMBps[i] * 100).ToArray();
            LongHistogram? commits = Merge(runs.Select(r => r.Commits));
            string eventsPerRun = isFile ? "" : Spread(runs.Select(r => (double)r.Events).ToArray(), "N0");
            string eventRate = isFile ? "" : Spread(rates, "N0");
            string ratio = row == "fs64k" ? "100 (**baseline**)" : Spread(ratios, "F1");
            string p50 = commits is null ? "" : Us(commits, 50);
            string p99 = commits is null ? "" : Us(commits, 99);
            string p999 = commits is null ? "" : Us(commits, 99.9);
            long totalEvents = runs.Sum(r => r.Events);
            string disk = isFile || totalEvents == 0 ? "" : Invariant($"{(double)runs.Sum(r => r.DiskBytes) / totalEvents:F1}");
            string allocated = isFile ? "" : Invariant($"{Median(runs.Select(r => (double)r.WriterAllocated).ToArray()):N0}");
            string check = runs.FirstOrDefault(r => r.Error is not null)?.Error ?? CheckText(row);
            text.AppendLine(Invariant($"| {Name(row)} | {eventsPerRun} | {eventRate} | {Spread(mbps, "F1")} | {ratio} | {p50} | {p99} | {p999} | {disk} | {allocated} | {check} |"));
        }

        foreach (string error in warmUpErrors)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"Warm-up failed its check: {error}"));
        }

        string? Target(string row, string what)
        {
            if (!results.TryGetValue(row, out List<RunResult>? runs))
            {
                return null;
            }

            double ratio = Median(runs.Select((r, i) => MBps(r) / fsMBps[i] * 100).ToArray());
            return Invariant($"{ratio:F0}% {what}, {(ratio >= 70 ? "holds" : "does not hold")}");
        }

        string[] targets = new[] { Target("hp-none", "with one Publish per event"), Target("hp-none-default", "with one Publish per event and default options (segments not preallocated)"), Target("hp-none-span", "with PublishBatch of 256") }.OfType<string>().ToArray();
        if (targets.Length > 0)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"Target: HotPath sync None ≥ 70% of the FileStream page-cache bandwidth (64 KiB chunks) of the same run: {string.Join("; ", targets)}."));
        }

        text.AppendLine();
        text.AppendLine("What each row measures:");
        text.AppendLine();
        foreach (string row in order)
        {
            text.AppendLine(Invariant($"- **{Name(row)}**: {Measures(row, seconds)}"));
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Settings. HotPath: 1 partition, `PublishMode.SingleWriter`, capacity {JournalRuns.Capacity:N0}, `Publish` per event, journal `MaxBatch` {JournalRuns.BatchEvents:N0}, `SegmentBytes` {JournalRuns.SegmentBytes >> 20} MiB, segments preallocated (`PreallocateSegments = true`, opt-in: Linux reserves each segment's blocks at its creation) except in the \"not preallocated\" row, `SyncInterval` {JournalRuns.SyncInterval.TotalMilliseconds} ms (Interval rows), default wait strategies. FasterLog (Microsoft.FASTER.Core 2.6.5, benchmark-only): `Devices.CreateLogDevice` with FASTER's defaults (here a `{JournalRuns.FasterDevice}`; no preallocation), page 2^{JournalRuns.FasterPageSizeBits} B, memory 2^{JournalRuns.FasterMemorySizeBits} B, segment 2^{JournalRuns.FasterSegmentSizeBits} B, commit files in the same folder, `Enqueue(ReadOnlySpan<byte>)` of the 64-byte event, `Commit(false)` + `WaitForCommit(TailAddress)`. Disk B/event: what the run left on disk per event (journal frames, segment headers, index and offsets files, FasterLog's page-aligned log and commit files). Writer B/run: bytes allocated by the publishing thread during the timed part (median)."));
        text.AppendLine();
        string rowsOption = order.Length == Order.Length ? "" : $" --rows {string.Join(',', order)}";
        string budgetOption = budget == DiskBudgetBytes ? "" : Invariant($" --disk-budget-mib {budget >> 20}");
        text.AppendLine(Invariant($"Rerun: `dotnet run -c Release --project bench/HotPath.Benchmarks -- journal --events {events} --seconds {seconds.ToString(CultureInfo.InvariantCulture)} --repeats {repeats}{rowsOption}{budgetOption}`."));
        return text.ToString();
    }

    private static string Name(string row) => row switch
    {
        "fs64k" => "FileStream, 64 KiB writes, page cache",
        "fs1m" => "FileStream, 1 MiB writes, page cache",
        "fs1m-sync" => "FileStream, 1 MiB writes + final Flush(true)",
        "hp-none" => "HotPath, sync None",
        "hp-none-default" => "HotPath, sync None, segments not preallocated",
        "hp-none-span" => "HotPath, sync None, PublishBatch of 256",
        "hp-none-group" => "HotPath, sync None, 1 group reading",
        "hp-interval" => "HotPath, sync Interval 10 ms",
        "hp-everybatch" => "HotPath, sync EveryBatch, wait per 1,024",
        "faster-none" => "FasterLog, one commit at the end",
        "faster-batch" => "FasterLog, commit per 1,024",
        _ => row,
    };

    private static string Measures(string row, double seconds) => row switch
    {
        "fs64k" => "N x 64 bytes written sequentially to a new file with an unbuffered `FileStream` in 64 KiB chunks (the size of one journal batch), no sync: the page cache's bandwidth. Open to close. The reference of the % column.",
        "fs1m" => "the same bytes in 1 MiB chunks, no sync.",
        "fs1m-sync" => "the same bytes in 1 MiB chunks and one `Flush(true)` (fsync) at the end, included in the time: what the disk itself sustains.",
        "hp-none" => "publish N events, then `WaitAcknowledged` on the last: until the journaller has written all of them to the OS (page cache). Events/s = N / that time; the ring (64K slots) holds the writer back once the journaller falls behind, so this is the journaller's sustained rate.",
        "hp-none-default" => "as sync None, with the durability options' default `PreallocateSegments = false`: each segment's blocks are allocated as the journal writes them (ext4's delayed allocation per page).",
        "hp-none-span" => "as sync None, but the writer publishes the events with `PublishBatch` of 256 from one reused array: the journal's rate when the writer is not the limit (one `Publish` per 64-byte event costs the writer about as much as the journal's work per event).",
        "hp-none-group" => "the same with one consumer group (1 member, default `Blocking` wait, durable offsets) reading every event; the time runs until both the last acknowledgement and the group's last event.",
        "hp-interval" => "as sync None, but an event is acknowledged only after the periodic (10 ms) fsync that followed its write: the time includes the last fsync.",
        "hp-everybatch" => Invariant($"publish 1,024 events, `WaitAcknowledged` on the last (the journaller fsyncs every batch it writes), repeat, for at most {seconds.ToString(CultureInfo.InvariantCulture)} s or N events. Commit latency: from the last publish of a batch to its acknowledgement (HdrHistogram over all repeats)."),
        "faster-none" => "enqueue N entries of 64 bytes, then one `Commit` and `WaitForCommit`: the none-like peer row (full pages are written as they fill; FASTER's local device writes through, so its data is on disk at the end, which HotPath None does not promise).",
        "faster-batch" => Invariant($"enqueue 1,024 entries, `Commit` + `WaitForCommit`, repeat, for at most {seconds.ToString(CultureInfo.InvariantCulture)} s or N events: the EveryBatch peer row. Commit latency: from the last enqueue of a batch to the commit's completion."),
        _ => "",
    };

    private static string CheckText(string row) => row switch
    {
        "fs64k" or "fs1m" or "fs1m-sync" => "file length",
        "hp-none" => "acknowledged end = published; reopened: end offset = N, every event read back intact by a fresh group",
        "hp-none-span" or "hp-none-default" => "acknowledged end = published",
        "hp-none-group" => "acknowledged end = published; the group read every event in order, intact",
        "hp-interval" or "hp-everybatch" => "acknowledged end = published",
        _ => "committed until = tail",
    };

    private static double MBps(RunResult r) => r.Bytes / r.Seconds / 1e6;

    private static LongHistogram? Merge(IEnumerable<LongHistogram?> histograms)
    {
        LongHistogram? merged = null;
        foreach (LongHistogram? h in histograms)
        {
            if (h is null)
            {
                continue;
            }

            merged ??= JournalRuns.NewHistogram();
            merged.Add(h);
        }

        return merged is null || merged.TotalCount == 0 ? null : merged;
    }

    private static string Us(LongHistogram h, double percentile) =>
        (h.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency).ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>The file system the run's folder is on: type and device (Linux), else the drive's format.</summary>
    private static string FileSystem(string path)
    {
        try
        {
            if (File.Exists("/proc/mounts"))
            {
                string best = "";
                string description = "";
                foreach (string line in File.ReadLines("/proc/mounts"))
                {
                    string[] f = line.Split(' ');
                    if (f.Length >= 3 && (path == f[1] || path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && f[1].Length >= best.Length)
                    {
                        best = f[1];
                        description = $"{f[2]} on {f[0]}";
                    }
                }

                if (description.Length > 0)
                {
                    return description;
                }
            }

            return new DriveInfo(path).DriveFormat;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
