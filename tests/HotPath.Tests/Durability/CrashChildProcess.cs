using System.Diagnostics;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// A running crash child (the HotPath.CrashChild program next to this assembly), started with the dotnet host that runs
/// the tests; its standard output is collected line by line with the time each line arrived.
/// </summary>
internal sealed class CrashChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<(long Timestamp, string Line)> _lines = [];
    private readonly System.Text.StringBuilder _stderr = new();

    private CrashChildProcess(Process process) => _process = process;

    /// <summary>The dotnet host: DOTNET_HOST_PATH when set (the CLI sets it), else our own process when it is dotnet, else dotnet on the PATH.</summary>
    public static string DotnetHost { get; } = FindHost();

    /// <summary>The child's dll, copied next to the test assembly by the project reference.</summary>
    public static string ChildPath { get; } = Path.Combine(AppContext.BaseDirectory, "HotPath.CrashChild.dll");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The lines so far, each with its Stopwatch timestamp.</summary>
    public IReadOnlyList<(long Timestamp, string Line)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the child on <paramref name="directory"/>. With <paramref name="fileSizeLimitKiB"/>, runs it under
    /// <c>ulimit -f</c> with SIGXFSZ ignored (the ignored signal survives exec), so a write past the limit fails with EFBIG.
    /// With <paramref name="transactionsRun"/>, runs the child's transactional mode with that run number, or with
    /// <paramref name="exactlyOnce"/> its consume-transform-produce mode.
    /// </summary>
    public static CrashChildProcess Start(
        string directory, SyncPolicy sync, bool journaledOnly, long? segmentBytes = null, int? fileSizeLimitKiB = null, int? transactionsRun = null,
        bool exactlyOnce = false)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileSizeLimitKiB is int limit)
        {
            info.FileName = "/bin/bash";
            info.ArgumentList.Add("-c");
            // bash counts ulimit -f in 1024-byte blocks; "$0" "$@" pass the host and the arguments unquoted-safe.
            info.ArgumentList.Add($"trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\"");
            info.ArgumentList.Add(DotnetHost);
            // The runtime's W^X double mapping sizes a memory file past any small limit and fails to start: turn it off.
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        else
        {
            info.FileName = DotnetHost;
        }

        info.ArgumentList.Add(ChildPath);
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add(sync.ToString());
        info.ArgumentList.Add(journaledOnly ? "1" : "0");
        if (segmentBytes is long bytes)
        {
            info.ArgumentList.Add(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (transactionsRun is int run)
        {
            info.ArgumentList.Add(exactlyOnce ? "--exactly-once" : "--transactions");
            info.ArgumentList.Add(run.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var process = new Process { StartInfo = info };
        var child = new CrashChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is string line)
            {
                long now = Stopwatch.GetTimestamp();
                lock (child._lines)
                {
                    child._lines.Add((now, line));
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is string line)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(line);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until a line matches, or the child exits, or <paramref name="timeout"/> passes; returns the line or null.</summary>
    public string? WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            foreach ((long _, string line) in Lines)
            {
                if (match(line))
                {
                    return line;
                }
            }

            if (_process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                // Let the output drain: the line may have been written just before the exit.
                if (_process.HasExited)
                {
                    _process.WaitForExit();
                    return Lines.Select(l => l.Line).FirstOrDefault(match);
                }

                return null;
            }

            Thread.Sleep(2);
        }
    }

    /// <summary>
    /// Waits until the child is ready, lets it run <paramref name="runMs"/>, kills it with SIGKILL and parses what it
    /// printed; fails the test (messages start with <paramref name="context"/>) when it did not get ready, exited before
    /// the kill, reported an error or a journal fault. Returns the report and the kill's timestamp.
    /// </summary>
    public (CrashChildReport Report, long KilledAt) RunThenKill(int runMs, string context, TimeSpan startTimeout)
    {
        string? ready = WaitForLine(l => l == "ready" || l.StartsWith("openfailed", StringComparison.Ordinal), startTimeout);
        Assert.True(ready == "ready", $"{context}: the child did not get ready: {Describe()}");
        Thread.Sleep(runMs);
        Assert.False(HasExited, $"{context}: the child exited before the kill: {Describe()}");
        long killedAt = Kill();
        CrashChildReport report = CrashChildReport.Parse(Lines);
        Assert.True(report.Errors.Count == 0, $"{context}: the child reported: {string.Join(Environment.NewLine, report.Errors.Take(10))}");
        Assert.True(report.Faults.Count == 0, $"{context}: the journal failed: {string.Join(Environment.NewLine, report.Faults)}");
        return (report, killedAt);
    }

    /// <summary>Kills the child with SIGKILL (on Unix), waits for it and for the end of its output; returns the Stopwatch timestamp of the kill.</summary>
    public long Kill()
    {
        long now = Stopwatch.GetTimestamp();
        _process.Kill();
        _process.WaitForExit();
        return now;
    }

    /// <summary>Waits for the child to exit on its own and for the end of its output.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    /// <summary>The output and error output, for an assertion message.</summary>
    public string Describe(int lastLines = 20)
    {
        IReadOnlyList<(long, string Line)> lines = Lines;
        return $"child {_process.Id}: last {Math.Min(lastLines, lines.Count)} of {lines.Count} lines:{Environment.NewLine}"
            + string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - lastLines)).Select(l => l.Line))
            + $"{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    private static string FindHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        if (Environment.ProcessPath is string self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
    }
}
