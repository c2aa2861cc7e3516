using System.Globalization;

namespace HotPath.Demo;

/// <summary>The demo's command line. <see cref="Parse"/> throws <see cref="ArgumentException"/> with a message for the user.</summary>
internal sealed record DemoOptions
{
    /// <summary>Default number of orders (about 2.9 events each).</summary>
    public const int DefaultOrders = 200_000;

    /// <summary>Default publishing time when no rate is given.</summary>
    public const double DefaultDurationSeconds = 10;

    public const string Usage = """
        HotPath demo: an `orders` topic keyed by order id, consumer-group-A sharing its
        partitions, and fan-out to inventory, shipping, email, audit-log and a lossy
        analytics group. An exactly-once stage turns each order_placed into one event
        on orders.processed (transactional group) and orders.processed.twin (at least
        once). Half way, one member of consumer-group-A crashes and one member of each
        processor group hangs mid-batch; their partitions move. At the end, a
        verification report; exit code 1 if it fails.

        Usage: dotnet run -c Release --project src/HotPath.Demo -- [options]

          --orders N            orders to publish, ~2.9 events each (default 200000)
          --rate R|max          events per second, or max: as fast as the consumers
                                go (default: paced to take --duration)
          --duration S          seconds of publishing (default 10); with --rate, a cap
          --partitions N        partitions of `orders` (default: from the topics file)
          --pin 0,1             pin consumer threads to these cores, round-robin
          --partitioner NAME    xxhash3 (default) or kafka (Kafka's murmur2)
          --topics FILE         topic definitions (default: topics.json by the demo)
          --durable DIR         journal `orders`, the exactly-once stage's outputs and
                                the groups' committed offsets in DIR; a second run on
                                DIR resumes where the first left off
          --help                this text
        """;

    public int Orders { get; init; } = DefaultOrders;

    /// <summary>Events per second; null: paced so that publishing takes <see cref="DurationSeconds"/>; infinity: as fast as possible.</summary>
    public double? EventsPerSecond { get; init; }

    public double DurationSeconds { get; init; } = DefaultDurationSeconds;

    /// <summary>True when --duration was given: with --rate it caps publishing.</summary>
    public bool DurationGiven { get; init; }

    public int? Partitions { get; init; }

    public IReadOnlyList<int>? Pin { get; init; }

    public string Partitioner { get; init; } = "xxhash3";

    public string? TopicsFile { get; init; }

    /// <summary>The directory `orders` is journaled to (and its groups' offsets), or null for in memory.</summary>
    public string? Durable { get; init; }

    public bool Help { get; init; }

    /// <summary>Slots per partition of `orders` (tests use fewer).</summary>
    public int Capacity { get; init; } = 4096;

    /// <summary>The analytics group sleeps 1 ms every this many events, so it falls behind and loses some; 0 for never.</summary>
    public int AnalyticsSleepEvery { get; init; } = 50;

    /// <summary>
    /// True (the demo): order-processor joins with <c>JoinTransactional</c>. False makes it a plain at-least-once member,
    /// so the exactly-once check must fail (tests).
    /// </summary>
    public bool TransactionalProcessor { get; init; } = true;

    /// <summary>Live view redraws per second on a terminal.</summary>
    public int FramesPerSecond { get; init; } = 4;

    /// <summary>Seconds the groups get to finish after publishing, before the run is declared stuck.</summary>
    public double DrainTimeoutSeconds { get; init; } = 30;

    /// <summary>The publishing rate: explicit, or derived from the duration.</summary>
    public double EffectiveRate(long plannedEvents) =>
        EventsPerSecond ?? Math.Max(1, plannedEvents / DurationSeconds);

    /// <summary>The publishing time cap, if any.</summary>
    public TimeSpan? Cap => EventsPerSecond is not null && DurationGiven ? TimeSpan.FromSeconds(DurationSeconds) : null;

    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DemoOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? inline = null;
            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inline = arg[(equals + 1)..];
                arg = arg[..equals];
            }

            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value"));

            options = arg switch
            {
                "--help" or "-h" or "-?" => options with { Help = true },
                "--orders" => options with { Orders = Int(arg, Value(), 1, 10_000_000) },
                "--rate" => options with { EventsPerSecond = Rate(Value()) },
                "--duration" => options with { DurationSeconds = Seconds(Value()), DurationGiven = true },
                "--partitions" => options with { Partitions = Int(arg, Value(), 1, 64) },
                "--pin" => options with { Pin = Cores(Value()) },
                "--partitioner" => options with { Partitioner = PartitionerName(Value()) },
                "--topics" => options with { TopicsFile = Value() },
                "--durable" => options with { Durable = Value() },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return options;
    }

    private static int Int(string option, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{option} must be an integer from {min} to {max}, was '{text}'");

    private static double Rate(string text) =>
        text is "max" or "0" ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) && rate > 0 && double.IsFinite(rate) ? rate
        : throw new ArgumentException($"--rate must be a positive number of events per second or 'max', was '{text}'");

    private static double Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 3600
            ? seconds
            : throw new ArgumentException($"--duration must be a number of seconds from above 0 to 3600, was '{text}'");

    private static string PartitionerName(string text) =>
        text.ToLowerInvariant() is "xxhash3" or "kafka"
            ? text.ToLowerInvariant()
            : throw new ArgumentException($"--partitioner must be xxhash3 or kafka, was '{text}'");

    private static List<int> Cores(string text)
    {
        var cores = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int core) || core < 0 || core >= Environment.ProcessorCount)
            {
                throw new ArgumentException(
                    $"--pin must list cores from 0 to {Environment.ProcessorCount - 1} separated by commas, was '{text}'");
            }

            cores.Add(core);
        }

        return cores;
    }
}
