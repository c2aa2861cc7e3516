using System.Globalization;
using System.Text;

namespace HotPath.Demo;

/// <summary>
/// Renders the run for a person: on a terminal, a table redrawn in place (ANSI cursor-home) a few times a second;
/// otherwise (output redirected) one plain line per call, meant for about once a second. Every line fits 80 columns.
/// </summary>
/// <remarks>Thread-safety: one thread (the demo's view loop).</remarks>
internal sealed class LiveView(TextWriter output, bool ansi)
{
    /// <summary>The width every line fits in.</summary>
    public const int Width = 80;

    private const string Home = "\u001b[H";
    private const string ClearLine = "\u001b[K";
    private const string ClearBelow = "\u001b[J";
    private const int LogLines = 5;

    private int _logPrinted;

    /// <summary>True when frames redraw in place.</summary>
    public bool IsAnsi => ansi;

    /// <summary>Clears the screen before the first frame (ANSI only).</summary>
    public void Start()
    {
        if (ansi)
        {
            output.Write("\u001b[2J\u001b[?25l");
        }
    }

    /// <summary>Shows the cursor again (ANSI only).</summary>
    public void Stop()
    {
        if (ansi)
        {
            output.Write("\u001b[?25h");
            output.Flush();
        }
    }

    /// <summary>Draws one frame (ANSI) or writes new log lines and one status line (plain).</summary>
    /// <param name="state">The snapshot.</param>
    /// <param name="log">The whole run log so far; plain mode prints the lines it has not printed yet.</param>
    public void Render(ViewState state, IReadOnlyList<string> log)
    {
        if (!ansi)
        {
            for (; _logPrinted < log.Count; _logPrinted++)
            {
                output.WriteLine(Fit(log[_logPrinted], Width));
            }

            output.WriteLine(StatusLine(state));
            output.Flush();
            return;
        }

        var frame = new StringBuilder(Home);
        foreach (string line in Frame(state with { Log = [.. log.TakeLast(LogLines)] }))
        {
            frame.Append(line).Append(ClearLine).Append('\n');
        }

        frame.Append(ClearBelow);
        output.Write(frame.ToString());
        output.Flush();
    }

    /// <summary>The lines of a full frame: header, the table, then recent log lines.</summary>
    public static List<string> Frame(ViewState state)
    {
        var lines = new List<string>
        {
            Fit(state.Title, Width),
            Fit(Progress(state), Width),
            "",
        };
        lines.AddRange(Table(state.Groups));
        lines.Add("");
        lines.AddRange(state.Log.Select(l => Fit(l, Width)));
        return lines;
    }

    /// <summary>Per group and partition: owner, handled, lag; per group: rebalances and (lossy) lost.</summary>
    public static List<string> Table(IReadOnlyList<GroupView> groups)
    {
        // 18 + 5 + 12 + 12 + 10 + 7 + 11 = 75 columns.
        var lines = new List<string> { $"{"group",-18}{"part",5} {"owner",-11}{"handled",12}{"lag",10}{"rebal",7}{"lost",11}" };
        foreach (GroupView group in groups)
        {
            for (int i = 0; i < group.Partitions.Count; i++)
            {
                var p = group.Partitions[i];
                string name = i == 0 ? (group.Lossy ? group.GroupId + "*" : group.GroupId) : "";
                string rebalances = i == 0 ? N(group.Rebalances) : "";
                string lost = group.Lossy ? N(p.Lost) : "";
                lines.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{Fit(name, 18),-18}{p.Partition.Partition,5} {Fit(p.Owner ?? "-", 11),-11}{N(p.Handled),12}{N(p.Lag),10}{rebalances,7}{lost,11}").TrimEnd());
            }
        }

        if (groups.Any(g => g.Lossy))
        {
            lines.Add("* lossy: never holds the publisher back; skips what it missed and counts it");
        }

        return lines;
    }

    /// <summary>The plain-mode line: elapsed, published, rate, worst lossless lag, rebalances, losses.</summary>
    public static string StatusLine(ViewState state)
    {
        long maxLag = state.Groups.Where(g => !g.Lossy).SelectMany(g => g.Partitions).Select(p => p.Lag).DefaultIfEmpty(0).Max();
        long rebalances = state.Groups.Sum(g => g.Rebalances);
        long lost = state.Groups.SelectMany(g => g.Partitions).Sum(p => p.Lost);
        return Fit(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{state.Elapsed.TotalSeconds,5:0.0}s  published {N(state.Published)} ({N((long)state.EventsPerSecond)}/s)  lag {N(maxLag)}  rebalances {rebalances}  lost {N(lost)}"),
            Width);
    }

    private static string Progress(ViewState state) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{state.Elapsed.TotalSeconds,5:0.0}s  published {N(state.Published)} of {N(state.Planned)} events  {N((long)state.EventsPerSecond)}/s");

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
