using System.Diagnostics;
using System.Text.RegularExpressions;
using HotPath.Consumers;
using HotPath.Demo;
using HotPath.Groups;

namespace HotPath.Tests.Demo;

public class DemoRunnerTests
{
    [Fact]
    public async Task RunAsync_SmallRun_PassesWithMemberStopAndRebalance()
    {
        var options = new DemoOptions
        {
            Orders = 3_000,
            EventsPerSecond = 20_000,
            Capacity = 256,
            Partitioner = "kafka",
            AnalyticsSleepEvery = 100,
            DrainTimeoutSeconds = 20,
        };
        var output = new StringWriter();
        var watch = Stopwatch.StartNew();

        VerificationReport report = await DemoRunner.RunAsync(options, output, live: false);

        string text = output.ToString();
        Assert.True(report.Passed, text);
        Assert.Contains("RESULT: PASS", text);
        MemberStopObservation stop = Assert.IsType<MemberStopObservation>(report.MemberStop);
        Assert.Equal("Faulted", stop.StateAfter);
        Assert.NotNull(stop.NewOwner);
        Assert.NotEqual(stop.MemberId, stop.NewOwner);
        Assert.True(stop.RebalancesAfter > stop.RebalancesBefore, $"rebalances {stop.RebalancesBefore} -> {stop.RebalancesAfter}");
        Assert.Equal(stop.CommittedAtRevoke, stop.ResumedAt);
        Assert.Equal(10, report.Checks.Count);
        // The exactly-once stage: one member of each processor group hung mid-batch and was declared failed.
        VerificationCheck exactlyOnce = Assert.Single(report.Checks, c => c.Name == "exactly-once");
        Match hung = Regex.Match(exactlyOnce.Detail, @"^3,000 orders, 3,000 outputs, 0 missing, 0 duplicates; P-\d hung mid-transaction with (\d+) outputs and is Failed; read-committed readers stepped over (\d+) aborted outputs$");
        Assert.True(hung.Success, exactlyOnce.Detail);
        Assert.True(int.Parse(hung.Groups[1].Value) > 0 && int.Parse(hung.Groups[2].Value) > 0, exactlyOnce.Detail);
        VerificationCheck twin = Assert.Single(report.Checks, c => c.Name == "at-least-once twin");
        Match redone = Regex.Match(twin.Detail, @"^3,000 orders, [\d,]+ outputs, 0 missing, (\d+) duplicates: T-\d's hung batch of (\d+) outputs was published, not committed, and redone");
        Assert.True(redone.Success, twin.Detail);
        // Each output of the hung batch once more (more only if another member was also declared failed).
        Assert.True(int.Parse(redone.Groups[1].Value) >= int.Parse(redone.Groups[2].Value), twin.Detail);
        Assert.Contains("  PASS  exactly-once       3,000 orders, 3,000 outputs, 0 missing, 0", text);
        Assert.All(report.Samples, s => Assert.Equal(s.KafkaPartition, s.SeenPartition));
        Assert.All(text.Split(Environment.NewLine), line => Assert.True(line.Length <= LiveView.Width, $"{line.Length} columns: {line}"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task RunAsync_DurableTwice_SecondRunRecoversTheFirstRunsEventsAndResumesEveryGroupAtItsEnd()
    {
        string directory = Path.Combine(Path.GetTempPath(), "hotpath-demo-durable-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new DemoOptions
            {
                Orders = 2_000,
                EventsPerSecond = 20_000,
                Capacity = 256,
                AnalyticsSleepEvery = 100,
                DrainTimeoutSeconds = 20,
                Durable = directory,
            };
            var first = new StringWriter();
            VerificationReport firstReport = await DemoRunner.RunAsync(options, first, live: false);
            Assert.True(firstReport.Passed, first.ToString());
            Assert.Contains("a new journal for orders", first.ToString());
            long published = long.Parse(
                Regex.Match(first.ToString(), @"consumer-group-A +([\d,]+) of \1 events").Groups[1].Value.Replace(",", ""));
            Assert.True(published > 2_000, first.ToString());

            var second = new StringWriter();
            VerificationReport secondReport = await DemoRunner.RunAsync(options, second, live: false);
            string text = second.ToString();
            Assert.True(secondReport.Passed, text);
            Assert.Contains($"{published:N0} events of orders in the journal, torn tail cut: 0 bytes", text);
            foreach (string group in DemoRunner.FanOutServices.Prepend(DemoRunner.GroupA))
            {
                Assert.Matches($@"{group} +resumes after {published:N0} events, 0 to replay", text);
            }

            Assert.All(text.Split(Environment.NewLine), line => Assert.True(line.Length <= LiveView.Width, $"{line.Length} columns: {line}"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_ProcessorWithoutTransactions_ExactlyOnceCheckCatchesTheDuplicates()
    {
        // The same stage with order-processor joined as a plain member: its hung batch is redone, and the
        // read-committed counting group sees those outputs twice.
        var options = new DemoOptions
        {
            Orders = 3_000,
            EventsPerSecond = 20_000,
            Capacity = 256,
            AnalyticsSleepEvery = 100,
            DrainTimeoutSeconds = 20,
            TransactionalProcessor = false,
        };

        VerificationReport report = await DemoRunner.RunAsync(options, TextWriter.Null, live: false);

        VerificationCheck failed = Assert.Single(report.Failures);
        Assert.Equal("exactly-once", failed.Name);
        Assert.Matches(@"^3,000 orders, [\d,]+ outputs, 0 missing, [1-9][\d,]* duplicates \(first duplicate: ORD\d+ x2\); P-\d hung mid-transaction", failed.Detail);
    }

    [Fact]
    public async Task RunAsync_TopicsFileWithoutOrders_ThrowsNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"topics-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"topic": "payments", "partitions": 1, "replicationFactor": 1}""");
        try
        {
            var error = await Assert.ThrowsAsync<HotPath.Topics.TopicDefinitionException>(
                () => DemoRunner.RunAsync(new DemoOptions { TopicsFile = path }, TextWriter.Null));

            Assert.Equal($"{path}: defines no topic named 'orders', which the demo publishes to", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Frame_LargeNumbersAndManyPartitions_FitsEightyColumns()
    {
        var stats = Enumerable.Range(0, 12)
            .Select(p => new PartitionStats(new TopicPartition("orders", p), "audit-log-1", 0, 99_999_999, 9_999_999, 99_999_999, 0, 0, 0, 99_999_999))
            .ToList();
        var state = new ViewState(
            new string('t', 100),
            TimeSpan.FromSeconds(1234.5),
            99_999_999,
            99_999_999,
            9_999_999,
            [new GroupView("audit-log-service", false, 12_345, stats), new GroupView("analytics", true, 1, stats)],
            [new string('l', 120)]);

        List<string> lines = LiveView.Frame(state, TerminalSize.Default, page: 0);

        Assert.All(lines, line => Assert.True(line.Length <= LiveView.Width, $"{line.Length} columns: {line}"));
        Assert.True(LiveView.StatusLine(state).Length <= LiveView.Width);
    }

    [Fact]
    public void Generator_EveryOrderFollowsItsLife_AndKeysFormatAsOrd()
    {
        var generator = new OrderGenerator(500);
        var steps = new Dictionary<int, List<OrderEventType>>();
        while (generator.TryNext(0, out OrderEvent e))
        {
            var list = steps.TryGetValue(e.OrderId, out var l) ? l : steps[e.OrderId] = [];
            Assert.Equal(list.Count, e.Step);
            list.Add(e.Type);
        }

        Assert.Equal(500, steps.Count);
        Assert.Equal(generator.PlannedEvents, steps.Values.Sum(l => l.Count));
        Assert.All(steps.Values, l => Assert.True(
            l.SequenceEqual([OrderEventType.Placed, OrderEventType.Paid, OrderEventType.Shipped])
            || l.SequenceEqual([OrderEventType.Placed, OrderEventType.Cancelled])
            || l.SequenceEqual([OrderEventType.Placed, OrderEventType.Paid, OrderEventType.Cancelled])));
        Assert.Equal("ORD12345", OrderIds.Format(12345));
    }

    [Theory]
    [InlineData(new[] { "--orders", "0" }, "--orders must be an integer from 1 to 10000000, was '0'")]
    [InlineData(new[] { "--rate", "fast" }, "--rate must be a positive number of events per second or 'max', was 'fast'")]
    [InlineData(new[] { "--partitioner", "crc32" }, "--partitioner must be xxhash3 or kafka, was 'crc32'")]
    [InlineData(new[] { "--orders" }, "--orders needs a value")]
    [InlineData(new[] { "--verbose" }, "unknown option '--verbose'")]
    public void Parse_BadArguments_SayWhatIsWrong(string[] args, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => DemoOptions.Parse(args));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Parse_AllOptions_AreRead()
    {
        DemoOptions options = DemoOptions.Parse(["--orders=500", "--rate", "max", "--duration", "5", "--partitions", "4", "--pin", "0", "--partitioner", "kafka", "--topics", "t.json"]);

        Assert.Equal(500, options.Orders);
        Assert.True(double.IsPositiveInfinity(options.EventsPerSecond!.Value));
        Assert.Equal(TimeSpan.FromSeconds(5), options.Cap);
        Assert.Equal(4, options.Partitions);
        Assert.Equal([0], options.Pin!);
        Assert.Equal("kafka", options.Partitioner);
        Assert.Equal("t.json", options.TopicsFile);
    }
}
