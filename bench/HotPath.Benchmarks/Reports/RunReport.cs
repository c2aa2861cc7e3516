using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HotPath.Benchmarks.Reports;

/// <summary>
/// What the harnesses outside BenchmarkDotNet write into their reports: the commit, the machine (CPU model, caches),
/// the load average, and medians with their spread. Thread safety: stateless; any thread.
/// </summary>
public static class RunReport
{
    /// <summary>Formats <paramref name="s"/> with the invariant culture.</summary>
    /// <param name="s">The interpolated string.</param>
    /// <returns>The text.</returns>
    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyCollection<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>"median (min–max)" of <paramref name="values"/> in <paramref name="format"/>, or the value alone when there is one.</summary>
    /// <param name="values">At least one value.</param>
    /// <param name="format">A numeric format string, e.g. <c>F1</c>.</param>
    /// <returns>The text.</returns>
    public static string Spread(IReadOnlyCollection<double> values, string format) =>
        values.Count == 1
            ? values.First().ToString(format, CultureInfo.InvariantCulture)
            : Invariant($"{Median(values).ToString(format, CultureInfo.InvariantCulture)} ({values.Min().ToString(format, CultureInfo.InvariantCulture)}–{values.Max().ToString(format, CultureInfo.InvariantCulture)})");

    /// <summary>The short hash of HEAD, marked when tracked files have uncommitted changes; "unknown" without git.</summary>
    /// <returns>The commit.</returns>
    public static string Commit()
    {
        try
        {
            string head = Git("rev-parse --short HEAD");
            // Changes to tracked files mean the numbers are not exactly those of the commit: say so.
            return Git("status --porcelain --untracked-files=no").Length > 0 ? $"{head} (with uncommitted changes)" : head;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>The CPU's model name (Linux <c>/proc/cpuinfo</c>), else the process architecture.</summary>
    /// <returns>The model.</returns>
    public static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux <c>/proc/loadavg</c>), or "unknown".</summary>
    /// <returns>The three numbers.</returns>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq) since boot, summed over its cores,
    /// from Linux <c>/proc/stat</c> (clock ticks of 1/100 s); null elsewhere. Subtracting this process's own CPU time
    /// from the difference of two readings gives what other processes took meanwhile.
    /// </summary>
    /// <returns>The busy seconds, or null.</returns>
    public static double? MachineBusySeconds()
    {
        try
        {
            string? line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }

            long[] f = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
            // user nice system idle iowait irq softirq ...: busy = user + nice + system + irq + softirq.
            return f.Length < 7 ? null : (f[0] + f[1] + f[2] + f[5] + f[6]) / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The data caches CPU 0 sees, e.g. "L1d 48 KiB, L2 1 MiB, L3 32 MiB": from Linux <c>/sys/devices/system/cpu/cpu0/cache</c>,
    /// else from <c>getconf</c> (the C library's CPUID decoding; under a hypervisor it reports what the hypervisor passes
    /// through), else "unknown".
    /// </summary>
    /// <returns>The caches and where the sizes came from.</returns>
    public static string Caches()
    {
        try
        {
            const string Sys = "/sys/devices/system/cpu/cpu0/cache";
            if (Directory.Exists(Sys))
            {
                var caches = new List<string>();
                foreach (string index in Directory.GetDirectories(Sys, "index*").Order(StringComparer.Ordinal))
                {
                    string type = File.ReadAllText(Path.Combine(index, "type")).Trim();
                    if (type == "Instruction")
                    {
                        continue;
                    }

                    string level = File.ReadAllText(Path.Combine(index, "level")).Trim();
                    string size = File.ReadAllText(Path.Combine(index, "size")).Trim();
                    caches.Add($"L{level}{(type == "Data" ? "d" : "")} {size}");
                }

                if (caches.Count > 0)
                {
                    return string.Join(", ", caches) + " (sysfs)";
                }
            }

            string[] lines = Run("getconf", "-a").Split('\n');
            string Size(string name)
            {
                string? line = lines.FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
                return line is not null && long.TryParse(line[name.Length..].Trim(), CultureInfo.InvariantCulture, out long bytes) && bytes > 0 ? Bytes(bytes) : "?";
            }

            return $"L1d {Size("LEVEL1_DCACHE_SIZE")}, L2 {Size("LEVEL2_CACHE_SIZE")}, L3 {Size("LEVEL3_CACHE_SIZE")} (getconf; no sysfs cache entries here)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>A byte count in KiB, MiB or GiB (whole numbers where exact).</summary>
    /// <param name="bytes">The byte count.</param>
    /// <returns>The text, e.g. "48 KiB".</returns>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => Invariant($"{bytes >> 30} GiB"),
        >= 1L << 20 => Invariant($"{bytes / (double)(1 << 20):0.#} MiB"),
        >= 1L << 10 => Invariant($"{bytes / 1024.0:0.#} KiB"),
        _ => Invariant($"{bytes} B"),
    };

    private static string Git(string arguments)
    {
        string text = Run("git", arguments, out int exitCode);
        return exitCode == 0 ? text : throw new InvalidOperationException($"git {arguments} exited {exitCode}");
    }

    private static string Run(string program, string arguments) => Run(program, arguments, out _);

    private static string Run(string program, string arguments, out int exitCode)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{program} did not start");
        string text = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        exitCode = process.ExitCode;
        return text;
    }

    /// <summary>
    /// Appends the machine table that heads the same-process harnesses' reports (curves, ratios): commit, dates, CPU,
    /// caches, OS, .NET, load before and after, and the command that ran the harness.
    /// </summary>
    /// <param name="text">The report.</param>
    /// <param name="commit">The commit, as <see cref="Commit"/> gives it.</param>
    /// <param name="started">When the run started (UTC); it ends now.</param>
    /// <param name="loadBefore">The load average before the run.</param>
    /// <param name="loadAfter">The load average after it.</param>
    /// <param name="command">The command line that ran the harness.</param>
    public static void AppendMachineTable(System.Text.StringBuilder text, string commit, DateTime started, string loadBefore, string loadAfter, string command)
    {
        text.AppendLine("| | |");
        text.AppendLine("|---|---|");
        text.AppendLine(Invariant($"| Commit | `{commit}` |"));
        text.AppendLine(Invariant($"| Date (UTC) | {started:yyyy-MM-ddTHH:mm:ssZ} to {DateTime.UtcNow:HH:mm:ssZ} |"));
        text.AppendLine(Invariant($"| CPU | {CpuModel()}, {Environment.ProcessorCount} logical cores |"));
        text.AppendLine(Invariant($"| Caches | {Caches()} |"));
        text.AppendLine(Invariant($"| OS | {System.Runtime.InteropServices.RuntimeInformation.OSDescription} |"));
        text.AppendLine(Invariant($"| .NET | {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} |"));
        text.AppendLine(Invariant($"| Load average (1/5/15 min) | before {loadBefore}, after {loadAfter} |"));
        text.AppendLine(Invariant($"| Command | `{command}` |"));
    }
}
