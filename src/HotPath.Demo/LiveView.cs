using System.Globalization;
using System.Text;

namespace HotPath.Demo;

/// <summary>
/// Renders the run for a person: on a terminal, a frame redrawn in place (ANSI cursor-home) a few times a second,
/// fitted to the terminal's size (<see cref="Frame"/>); otherwise (output redirected) one plain line per call, meant
/// for about once a second, every line within <see cref="Width"/> columns.
/// </summary>
/// <remarks>Thread-safety: one thread (the demo's view loop).</remarks>
/// <param name="output">Where frames or lines go.</param>
/// <param name="ansi">True to redraw frames in place (a terminal).</param>
/// <param name="terminal">The terminal's size, asked before each frame; null for the console's (<see cref="TerminalSize.Current"/>).</param>
internal sealed class LiveView(TextWriter output, bool ansi, Func<TerminalSize>? terminal = null)
{
    /// <summary>The width every plain line and the report fit in.</summary>
    public const int Width = 80;

    /// <summary>Recent log lines a frame shows when there is room.</summary>
    public const int LogLines = 5;

    /// <summary>Frames a page of table rows stays up before the next page (2 s at the default 4 frames per second).</summary>
    public const int FramesPerPage = 8;

    /// <summary>Log lines a frame keeps when the table has to page: the log tells the story (crashes, moves).</summary>
    private const int LogLinesWhenPaging = 3;

    /// <summary>Table rows a frame tries to keep before it gives up the log, then the blank line, then the footnotes.</summary>
    private const int MinPageRows = 3;

    private const string Home = "\u001b[H";
    private const string ClearLine = "\u001b[K";
    private const string ClearBelow = "\u001b[J";

    private int _logPrinted;
    private int _frames;

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

    /// <summary>Ends the last frame's line and shows the cursor again (ANSI only).</summary>
    public void Stop()
    {
        if (ansi)
        {
            output.Write(_frames == 0 ? "\u001b[?25h" : "\n\u001b[?25h");
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
                output.WriteLine(TextLayout.Fit(log[_logPrinted], Width));
            }

            output.WriteLine(StatusLine(state));
            output.Flush();
            return;
        }

        TerminalSize size = terminal?.Invoke() ?? TerminalSize.Current();
        // One column spare: a line that reaches the last column leaves some terminals waiting to wrap, and the
        // clear-to-end-of-line after it would then erase its last character.
        var fit = new TerminalSize(Math.Max(1, size.Width - 1), Math.Max(1, size.Height));
        List<string> lines = Frame(state with { Log = [.. log.TakeLast(LogLines)] }, fit, _frames / FramesPerPage);
        _frames++;

        // No newline after the last line: on the terminal's bottom row it would scroll the screen, title first.
        var frame = new StringBuilder(Home);
        frame.AppendJoin(ClearLine + "\n", lines).Append(ClearLine).Append(ClearBelow);
        output.Write(frame.ToString());
        output.Flush();
    }

    /// <summary>
    /// The lines of a frame of at most <paramref name="size"/>: the title, the progress line and the table header
    /// always (the first lines, in that order, as far as the height allows); then the table rows, and the footnotes and
    /// recent log lines as room allows. When the rows do not fit, the frame shows one page of them (with a line saying
    /// which rows) below the header, and keeps fewer log lines; pages turn as <paramref name="page"/> grows.
    /// </summary>
    /// <param name="state">The snapshot; its <see cref="ViewState.Log"/> holds the log lines to show, oldest first.</param>
    /// <param name="size">The columns every line fits in and the most lines returned.</param>
    /// <param name="page">Which page of rows to show when they do not fit: any number, taken modulo the page count.</param>
    public static List<string> Frame(ViewState state, TerminalSize size, int page)
    {
        int width = Math.Max(1, size.Width);
        int height = Math.Max(1, size.Height);
        List<(GroupView Group, int Index)> rows = Rows(state.Groups);
        List<string> footnotes = Footnotes(state.Groups, width);
        int log = state.Log.Count;
        bool gap = true;
        int footnoteLines = footnotes.Count;

        // Title, progress and the table header, the blank line above the table, the footnotes, and the log below a blank line.
        int Around() => 3 + (gap ? 1 : 0) + footnoteLines + (log > 0 ? log + 1 : 0);

        int shown = rows.Count;
        bool paging = Around() + rows.Count > height;
        if (paging)
        {
            log = Math.Min(log, LogLinesWhenPaging);
            while (Around() + rows.Count > height && height - Around() - 1 < MinPageRows)
            {
                if (log > 0)
                {
                    log--;
                }
                else if (gap)
                {
                    gap = false;
                }
                else if (footnoteLines > 0)
                {
                    footnoteLines = 0;
                }
                else
                {
                    break;
                }
            }

            paging = Around() + rows.Count > height;
            shown = paging ? Math.Max(0, height - Around() - 1) : rows.Count;
        }

        var lines = new List<string> { TextLayout.Fit(state.Title, width), TextLayout.Fit(Progress(state), width) };
        if (gap)
        {
            lines.Add("");
        }

        lines.Add(TextLayout.Fit(Header, width));
        int first = 0;
        if (shown > 0)
        {
            int pages = (rows.Count + shown - 1) / shown;
            first = (int)((uint)page % (uint)pages) * shown;
            for (int r = first; r < first + shown; r++)
            {
                // The last page keeps its height, so the footnotes and the log do not jump.
                lines.Add(r < rows.Count ? TextLayout.Fit(Row(rows[r].Group, rows[r].Index, showGroup: r == first || rows[r].Index == 0), width) : "");
            }
        }

        if (paging)
        {
            lines.Add(TextLayout.Fit(
                shown == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"  {rows.Count} rows: the terminal is too small to show them")
                    : string.Create(CultureInfo.InvariantCulture, $"  rows {first + 1}-{Math.Min(first + shown, rows.Count)} of {rows.Count}; the table pages through them"),
                width));
        }

        lines.AddRange(footnotes.Take(footnoteLines));
        if (log > 0)
        {
            lines.Add("");
            lines.AddRange(state.Log.TakeLast(log).Select(l => TextLayout.Fit(l, width)));
        }

        return lines.Count <= height ? lines : lines[..height];
    }

    /// <summary>The whole table at <see cref="Width"/> columns: header, every row, footnotes (the plain mode's final table).</summary>
    public static List<string> Table(IReadOnlyList<GroupView> groups)
    {
        var lines = new List<string> { Header };
        lines.AddRange(Rows(groups).Select(r => Row(r.Group, r.Index, showGroup: r.Index == 0)));
        lines.AddRange(Footnotes(groups, Width));
        return lines;
    }

    /// <summary>The plain-mode line: elapsed, published, rate, worst lossless lag, rebalances, losses.</summary>
    public static string StatusLine(ViewState state)
    {
        long maxLag = state.Groups.Where(g => !g.Lossy).SelectMany(g => g.Partitions).Select(p => p.Lag).DefaultIfEmpty(0).Max();
        long rebalances = state.Groups.Sum(g => g.Rebalances);
        long lost = state.Groups.SelectMany(g => g.Partitions).Sum(p => p.Lost);
        return TextLayout.Fit(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{state.Elapsed.TotalSeconds,5:0.0}s  published {N(state.Published)} ({N((long)state.EventsPerSecond)}/s)  lag {N(maxLag)}  rebalances {rebalances}  lost {N(lost)}"),
            Width);
    }

    // 18 + 5 + 12 + 12 + 10 + 7 + 11 = 75 columns.
    private static string Header { get; } = $"{"group",-18}{"part",5} {"owner",-11}{"handled",12}{"lag",10}{"rebal",7}{"lost",11}";

    /// <summary>One row per group and partition, in display order.</summary>
    private static List<(GroupView Group, int Index)> Rows(IReadOnlyList<GroupView> groups) =>
        [.. groups.SelectMany(g => Enumerable.Range(0, g.Partitions.Count).Select(i => (g, i)))];

    /// <summary>A partition's row; the group's name and rebalances only where <paramref name="showGroup"/> (its first row, or a page's).</summary>
    private static string Row(GroupView group, int index, bool showGroup)
    {
        var p = group.Partitions[index];
        string name = showGroup ? (Marked(group) ? group.GroupId + "*" : group.GroupId) : "";
        string rebalances = showGroup ? N(group.Rebalances) : "";
        string lost = group.Lossy ? N(p.Lost) : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{TextLayout.Fit(name, 18),-18}{p.Partition.Partition,5} {TextLayout.Fit(p.Owner ?? "-", 11),-11}{N(p.Handled),12}{N(p.Lag),10}{rebalances,7}{lost,11}").TrimEnd();
    }

    /// <summary>A group whose name gets a <c>*</c> and a footnote: a lossy group or one with a note.</summary>
    private static bool Marked(GroupView group) => group.Lossy || group.Note is not null;

    /// <summary>Per marked group: <c>* group: note</c>, wrapped to <paramref name="width"/> under the star.</summary>
    private static List<string> Footnotes(IReadOnlyList<GroupView> groups, int width)
    {
        var lines = new List<string>();
        foreach (GroupView group in groups.Where(Marked))
        {
            string note = group.Note ?? "lossy: never holds the publisher back; skips what it missed and counts it";
            List<string> wrapped = TextLayout.Wrap($"{group.GroupId}: {note}", Math.Max(1, width - 2));
            lines.AddRange(wrapped.Select((line, i) => (i == 0 ? "* " : "  ") + line));
        }

        return lines;
    }

    private static string Progress(ViewState state) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{state.Elapsed.TotalSeconds,5:0.0}s  published {N(state.Published)} of {N(state.Planned)} events  {N((long)state.EventsPerSecond)}/s");

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
