using HotPath.Demo;
using HotPath.Tests.Readme;

namespace HotPath.Tests.Demo;

public sealed class MaxRateReportTests
{
    [Fact]
    public void Lines_RunWithStalls_SaysTheHandlersLimitTheRateBesideTheBenchmarkFigure()
    {
        List<string> lines = MaxRateReport.Lines(579_931, TimeSpan.FromSeconds(2.1), TimeSpan.FromSeconds(1.4), cores: 2);

        string text = string.Join(" ", lines.Select(l => l.Trim()));
        Assert.Equal("Rate (--rate max):", lines[0]);
        Assert.All(lines, line => Assert.True(line.Length <= LiveView.Width, $"{line.Length} columns: {line}"));
        Assert.Contains("579,931 events in 2.1 s, 1.4 s of it in stalls of 50 ms or more", text, StringComparison.Ordinal);
        Assert.Contains("between stalls 828,472 events/s", text, StringComparison.Ordinal);
        Assert.Contains("That pace is set by the handlers' work, not by the engine", text, StringComparison.Ordinal);
        Assert.Contains("the groups' threads share 2 cores", text, StringComparison.Ordinal);
        Assert.Contains(
            $"The engine's own figures come from its benchmark, not from this run: {EngineBenchmark.OneGroup} for 1 writer -> 1 consumer group and {EngineBenchmark.ThreeGroups} -> 3 groups",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_RunWithoutStalls_GivesTheAverageRate()
    {
        List<string> lines = MaxRateReport.Lines(1_000_000, TimeSpan.FromSeconds(0.5), TimeSpan.Zero, cores: 4);

        string text = string.Join(" ", lines.Select(l => l.Trim()));
        Assert.Contains("1,000,000 events in 0.5 s: 2,000,000 events/s. That pace is set by the handlers' work", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stalls", text, StringComparison.Ordinal);
    }

    [Fact]
    public void StartNotes_EachNote_FitsALogLineOfTheView()
    {
        // A log line is "  5.7s  " and the note.
        Assert.All(MaxRateReport.StartNotes, note => Assert.True(8 + note.Length <= LiveView.Width, note));
        Assert.Contains(MaxRateReport.StartNotes, note => note.Contains(EngineBenchmark.OneGroup, StringComparison.Ordinal));
    }

    [Fact]
    public void EngineBenchmark_Figures_AreThoseOfTheReadmePerformanceTable()
    {
        string[] readme = ReadmeBlocks.Resource("Readme/README.md").Split('\n');

        string oneGroup = Assert.Single(readme, l => l.StartsWith("| 1 writer → 1 consumer group, 8-byte events, `Publish` per event |", StringComparison.Ordinal));
        string threeGroups = Assert.Single(readme, l => l.StartsWith("| 1 writer → 3 groups (fan-out), events published |", StringComparison.Ordinal));

        Assert.Contains($"| {EngineBenchmark.OneGroup} |", oneGroup, StringComparison.Ordinal);
        Assert.Contains($"| {EngineBenchmark.ThreeGroups} ", threeGroups, StringComparison.Ordinal);
        Assert.Contains(readme, l => l.Contains($"at commit `{EngineBenchmark.Commit}`", StringComparison.Ordinal));
    }
}
