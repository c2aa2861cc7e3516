using System.Globalization;
using System.Text.RegularExpressions;
using HotPath.Consumers;
using HotPath.Demo;
using HotPath.Groups;

namespace HotPath.Tests.Demo;

/// <summary>
/// The live view fits the terminal it is given: the title, the progress line and the table header are always its
/// first lines, no line is wider than the terminal, there are never more lines than rows, and table rows that do not
/// fit page within the table (every row shows on some page, the header never leaves). Alone: see
/// <see cref="LiveViewCollection"/>.
/// </summary>
[Collection(LiveViewCollection.Name)]
public sealed class LiveViewTests
{
    private const string Title = "HotPath demo: topic orders, 3 partitions (xxhash3), replicationFactor 3";

    public static TheoryData<int, int, int> Sizes => new()
    {
        { 80, 24, 3 },
        { 80, 24, 32 },
        { 80, 24, 64 },
        { 120, 40, 3 },
        { 120, 40, 32 },
        { 60, 12, 32 },
        { 200, 60, 64 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Frame_AnySizeAndPartitionCount_FitsWithHeaderLinesAndEveryRowOnSomePage(int width, int height, int partitions)
    {
        ViewState state = State(partitions, logLines: 5);
        var size = new TerminalSize(width, height);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (int page = 0; page < 6 * partitions; page++)
        {
            List<string> lines = LiveView.Frame(state, size, page);

            Assert.InRange(lines.Count, 3, height);
            Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} columns at {width}: {line}"));
            Assert.Equal(TextLayout.Fit(Title, width), lines[0]);
            Assert.StartsWith("  1.5s  published 12,345 of 99,999 events", lines[1], StringComparison.Ordinal);
            int header = lines.FindIndex(l => l.StartsWith("group", StringComparison.Ordinal));
            Assert.InRange(header, 2, 3);
            foreach (string line in lines.Skip(header + 1))
            {
                Match handled = Regex.Match(line, @"\b10\d,0\d\d\b");
                if (handled.Success)
                {
                    seen.Add(handled.Value);
                }
            }
        }

        // Every row's unique handled count showed on some page.
        Assert.Equal(6 * partitions, seen.Count);
    }

    [Fact]
    public void Frame_DemoDefaultsAtEightyByTwentyFour_TrimsTheLogAndPagesBelowTheHeader()
    {
        ViewState state = State(partitions: 3, logLines: 5);

        List<string> first = LiveView.Frame(state, new TerminalSize(80, 24), page: 0);
        List<string> second = LiveView.Frame(state, new TerminalSize(80, 24), page: 1);

        Assert.Equal(24, first.Count);
        Assert.Equal(new[] { "", "group              part owner           handled       lag  rebal       lost" }, first[2..4]);
        Assert.Contains(first, l => l.StartsWith("  rows 1-", StringComparison.Ordinal) && l.EndsWith(" of 18; the table pages through them", StringComparison.Ordinal));
        Assert.Contains(second, l => Regex.IsMatch(l, @"^  rows \d+-18 of 18; the table pages through them$"));
        // The log keeps its last 3 lines when the table pages.
        Assert.Equal(new[] { "log line 3", "log line 4", "log line 5" }, first[^3..]);
        Assert.Equal(first[..4], second[..4]);
    }

    [Fact]
    public void Frame_RoomForEverything_ShowsEveryRowAndTheWholeLogWithoutPaging()
    {
        ViewState state = State(partitions: 3, logLines: 5);

        List<string> lines = LiveView.Frame(state, new TerminalSize(120, 40), page: 7);

        Assert.DoesNotContain(lines, l => l.Contains("pages through", StringComparison.Ordinal));
        Assert.Equal(18, lines.Count(l => Regex.IsMatch(l, @"\b10\d,0\d\d\b")));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"log line {i}"), lines[^5..]);
    }

    [Fact]
    public void Frame_PageStartsInsideAGroup_NamesTheGroupOnItsFirstRow()
    {
        ViewState state = State(partitions: 32, logLines: 5);

        for (int page = 0; page < 20; page++)
        {
            List<string> lines = LiveView.Frame(state, new TerminalSize(80, 24), page);
            int header = lines.FindIndex(l => l.StartsWith("group", StringComparison.Ordinal));

            Assert.Matches(@"^(group-\d|analytics\*) ", lines[header + 1]);
        }
    }

    [Fact]
    public void Frame_SlowAnalytics_IsLabelledDeliberatelySlowUnderTheTable()
    {
        ViewState state = State(partitions: 3, logLines: 5);

        List<string> lines = LiveView.Frame(state, new TerminalSize(80, 24), page: 0);
        List<string> table = LiveView.Table(state.Groups);

        Assert.Contains(lines, l => l.StartsWith("* analytics: lossy and deliberately slow (sleeps 1 ms every 50 events)", StringComparison.Ordinal));
        Assert.Contains(table, l => l.StartsWith("* analytics: lossy and deliberately slow (sleeps 1 ms every 50 events)", StringComparison.Ordinal));
        Assert.All(table, l => Assert.True(l.Length <= LiveView.Width, l));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Frame_TinyTerminal_KeepsTheHeaderLinesFirst(int height)
    {
        ViewState state = State(partitions: 32, logLines: 5);

        List<string> lines = LiveView.Frame(state, new TerminalSize(30, height), page: 3);

        Assert.Equal(height, lines.Count);
        Assert.Equal(TextLayout.Fit(Title, 30), lines[0]);
        if (height >= 3)
        {
            Assert.StartsWith("group", lines[2], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RunAsync_LiveAtEightyByTwentyFourWith32PartitionsAtMaxRate_EveryFrameFits()
    {
        var options = new DemoOptions
        {
            Orders = 2_000,
            EventsPerSecond = double.PositiveInfinity,
            Partitions = 32,
            // Small rings: the hung processor members' partitions fill, so publishing stalls about a session time-out
            // and the view draws many frames.
            Capacity = 32,
            AnalyticsSleepEvery = 100,
            DrainTimeoutSeconds = 20,
            FramesPerSecond = 20,
        };
        var output = new StringWriter();

        VerificationReport report = await DemoRunner.RunAsync(options, output, live: true, () => new TerminalSize(80, 24));

        string text = output.ToString();
        Assert.True(report.Passed, text);
        string[] frames = text.Split("\u001b[H")[1..];
        Assert.True(frames.Length >= 5, $"{frames.Length} frames");
        // The last frame runs into the report: take what precedes the clear-below that ends every frame.
        foreach (string frame in frames.Select(f => f[..f.IndexOf("\u001b[J", StringComparison.Ordinal)]))
        {
            string[] lines = Regex.Replace(frame, "\u001b\\[[0-9;?]*[A-Za-z]", "").Split('\n');
            Assert.InRange(lines.Length, 3, 24);
            Assert.All(lines, line => Assert.True(line.Length < 80, $"{line.Length} columns: {line}"));
            Assert.StartsWith("HotPath demo: topic orders, 32 partitions", lines[0], StringComparison.Ordinal);
            Assert.Matches(@"^ *\d+\.\ds  published [\d,]+ of [\d,]+ events", lines[1]);
            Assert.StartsWith("group ", lines[3], StringComparison.Ordinal);
        }

        string report80 = text[(text.LastIndexOf("\u001b[J", StringComparison.Ordinal) + 3)..];
        Assert.Contains("Rate (--rate max):", report80, StringComparison.Ordinal);
        Assert.Contains("lossy and deliberately slow (sleeps 1 ms every 100 events)", report80.Replace(Environment.NewLine + new string(' ', 21), " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.All(report80.Split(Environment.NewLine), line => Assert.True(line.Replace("\u001b[?25h", "", StringComparison.Ordinal).Length <= LiveView.Width, line));
    }

    /// <summary>Five lossless groups and a slow lossy one; partition p of group g handled 10g,0pp events (unique per row).</summary>
    private static ViewState State(int partitions, int logLines)
    {
        var groups = new List<GroupView>();
        for (int g = 0; g < 6; g++)
        {
            bool lossy = g == 5;
            var stats = Enumerable.Range(0, partitions)
                .Select(p => new PartitionStats(
                    new TopicPartition("orders", p), $"member-{p}", 0, 99_999, 1_234, 100_000 + (g * 1_000) + p, 0, 0, 0, lossy ? 4_321 : 0, 0, 0))
                .ToList();
            groups.Add(new GroupView(
                lossy ? "analytics" : $"group-{g}",
                lossy,
                3,
                stats,
                lossy ? DemoRunner.AnalyticsNote(50) : null));
        }

        return new ViewState(
            Title,
            TimeSpan.FromSeconds(1.5),
            12_345,
            99_999,
            54_321,
            groups,
            [.. Enumerable.Range(1, logLines).Select(i => string.Create(CultureInfo.InvariantCulture, $"log line {i}"))]);
    }
}
