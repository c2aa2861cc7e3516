using System.Diagnostics;
using System.Globalization;
using System.Text;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Groups;
using HotPath.Partitioning;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Demo;

/// <summary>
/// Runs the demo: reads the topic definitions, creates the `orders` topic and the groups (and the exactly-once stage,
/// <see cref="ExactlyOnceStage"/>), publishes, stops a member of consumer-group-A half way (and hangs one member of each
/// processor group), drains, and verifies what the handlers saw. Callable in process (tests).
/// </summary>
internal static class DemoRunner
{
    public const string OrdersTopic = "orders";
    public const string DeadLetterTopic = "orders.dlq";
    public const string GroupA = "consumer-group-A";
    public const string Analytics = "analytics";

    /// <summary>The fan-out services: each gets every event, acts on order_placed.</summary>
    public static IReadOnlyList<string> FanOutServices { get; } = ["inventory-service", "shipping-service", "email-service", "audit-log-service"];

    /// <summary>Runs the demo and writes the view and the report to <paramref name="output"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="output">Where the view and the report go.</param>
    /// <param name="live">True to redraw a table in place (a terminal); false for plain lines once a second.</param>
    /// <param name="terminal">The terminal's size for live frames, asked before each; null for the console's.</param>
    /// <returns>The verification report; <see cref="VerificationReport.Passed"/> decides the exit code.</returns>
    /// <exception cref="TopicDefinitionException">The topics file is missing or invalid, or defines no `orders` topic.</exception>
    public static async Task<VerificationReport> RunAsync(DemoOptions options, TextWriter output, bool live = false, Func<TerminalSize>? terminal = null)
    {
        string file = options.TopicsFile ?? Path.Combine(AppContext.BaseDirectory, "topics.json");
        IReadOnlyList<TopicDefinition> definitions = TopicDefinitions.Load(file);
        TopicDefinition ordersDefinition = definitions.FirstOrDefault(d => d.Topic == OrdersTopic)
            ?? throw new TopicDefinitionException(file, null, $"defines no topic named '{OrdersTopic}', which the demo publishes to");
        if (options.Partitions is int partitionOverride)
        {
            ordersDefinition = ordersDefinition with { Partitions = partitionOverride };
        }

        if (ordersDefinition.Partitions > 64)
        {
            throw new TopicDefinitionException(file, "partitions", $"the demo runs one member per partition, at most 64, was {ordersDefinition.Partitions}");
        }

        int partitions = ordersDefinition.Partitions;
        Partitioner partitioner = options.Partitioner == "kafka" ? Partitioner.Kafka : Partitioner.XxHash3;
        TopicOptions ordersOptions = ordersDefinition.ToOptions(options.Capacity, partitioner, PublishMode.SingleWriter);
        if (options.Durable is not null)
        {
            ordersOptions = ordersOptions with { Durability = new DurabilityOptions { Directory = Path.GetFullPath(options.Durable) } };
        }

        using var orders = new Topic<OrderEvent>(ordersOptions);
        TopicDefinition? dlqDefinition = definitions.FirstOrDefault(d => d.Topic == DeadLetterTopic);
        using Topic<DeadLetter<OrderEvent>>? deadLetters = dlqDefinition is null ? null : new(dlqDefinition.ToOptions(capacity: 1024));

        var generator = new OrderGenerator(options.Orders);
        var clock = Stopwatch.StartNew();
        var log = new RunLog(clock);
        log.Note($"{Path.GetFileName(file)}: {string.Join(", ", definitions.Select(d => $"{d.Topic} ({d.Partitions}p)"))}");
        if (options.Partitions is not null)
        {
            log.Note($"--partitions: {OrdersTopic} gets {partitions} partitions");
        }

        var durableNotes = new List<string>();
        if (orders.Recovery is { } recovery)
        {
            durableNotes.Add(recovery.IsNew
                ? $"--durable: a new journal for {OrdersTopic}"
                : $"--durable: {N(recovery.RetainedEvents)} events of {OrdersTopic} in the journal, torn tail cut: {N(recovery.TruncatedBytes)} bytes");
            if (!recovery.IsNew)
            {
                durableNotes.Add($"--durable: partition ends {string.Join(" / ", recovery.Partitions.Select(p => N(p.EndOffset)))}; offsets of {recovery.GroupOffsets.Keys.Select(k => k.GroupId).Distinct().Count()} groups");
            }

            durableNotes.ForEach(log.Note);
        }

        var groups = new List<(ConsumerGroup<OrderEvent> Group, GroupLog Log)>();
        var members = new Dictionary<string, GroupMember<OrderEvent>>(StringComparer.Ordinal);
        ExactlyOnceStage? stage = null;
        try
        {
            // consumer-group-A: one member per partition (at least two, so one survives the stop). The default error
            // policy stops a member whose handler throws; its partitions move to the others.
            var groupA = new ConsumerGroup<OrderEvent>(orders, new ConsumerGroupOptions
            {
                GroupId = GroupA,
                Cores = options.Pin,
                RebalanceListener = log,
            });
            log.Attach(groupA);
            NoteResume(log, durableNotes, groupA, orders);
            var logA = new GroupLog(GroupA, lossy: false, options.Orders);
            groups.Add((groupA, logA));
            for (int m = 1; m <= Math.Max(2, partitions); m++)
            {
                string id = $"A-{m}";
                members[id] = groupA.Join(new OrderHandler(logA, logA.AddMember(id, partitions), 0), memberId: id);
            }

            // Fan-out: independent groups, each with its own cursors over the same slots. An event whose handler keeps
            // throwing goes to orders.dlq (when the file defines it) instead of stopping the service.
            foreach (string service in FanOutServices)
            {
                var group = new ConsumerGroup<OrderEvent>(orders, new ConsumerGroupOptions
                {
                    GroupId = service,
                    Cores = options.Pin,
                    ErrorPolicy = deadLetters is null ? ErrorPolicy.Default : ErrorPolicy.DeadLetterTo(deadLetters, maxAttempts: 3),
                });
                NoteResume(log, durableNotes, group, orders);
                var groupLog = new GroupLog(service, lossy: false, options.Orders);
                string id = service.Replace("-service", "-1", StringComparison.Ordinal);
                group.Join(new OrderHandler(groupLog, groupLog.AddMember(id, partitions), 0), memberId: id);
                groups.Add((group, groupLog));
            }

            // analytics: lossy and deliberately slow; it never holds the publisher back, it loses events instead.
            var analytics = new ConsumerGroup<OrderEvent>(orders, new ConsumerGroupOptions { GroupId = Analytics, Lossy = true, Cores = options.Pin });
            var analyticsLog = new GroupLog(Analytics, lossy: true, options.Orders);
            analytics.Join(new OrderHandler(analyticsLog, analyticsLog.AddMember("analytics-1", partitions), options.AnalyticsSleepEvery), memberId: "analytics-1");
            groups.Add((analytics, analyticsLog));

            // The exactly-once stage: order_placed -> orders.processed in transactions, and an at-least-once twin (both
            // outputs durable beside `orders` with --durable: each transaction's outputs and input offsets commit together).
            stage = new ExactlyOnceStage(orders, options, log);

            int stopPartition = Math.Min(1, partitions - 1);
            string stopMember = groupA.GetOwner(OrdersTopic, stopPartition) ?? "A-1";
            MemberLog stopLog = logA.Members.First(m => m.MemberId == stopMember);
            long rebalancesBefore = 0;
            double rate = options.EffectiveRate(generator.PlannedEvents);
            var publisher = new OrderPublisher(orders, generator, rate, options.Cap)
            {
                Halfway = () =>
                {
                    rebalancesBefore = groupA.RebalanceCount;
                    log.Note($"half way: {stopMember} (owns {OrdersTopic}-{stopPartition}) crashes: its handler throws");
                    stopLog.RequestCrash();
                    stage?.Crash(stopPartition);
                },
            };
            log.Note(double.IsPositiveInfinity(rate)
                ? $"publishing {N(generator.PlannedEvents)} events of {N(options.Orders)} orders as fast as possible"
                : $"publishing {N(generator.PlannedEvents)} events of {N(options.Orders)} orders at {N((long)rate)}/s");
            if (double.IsPositiveInfinity(rate))
            {
                foreach (string note in MaxRateReport.StartNotes)
                {
                    log.Note(note);
                }
            }

            string? analyticsNote = AnalyticsNote(options.AnalyticsSleepEvery);

            string title = string.Create(
                CultureInfo.InvariantCulture,
                $"HotPath demo: topic {OrdersTopic}, {partitions} partitions ({partitioner.Name}), replicationFactor {ordersDefinition.ReplicationFactor}");
            var view = new LiveView(output, live, terminal);
            string? drainError = null;
            view.Start();
            try
            {
                Task publishing = Task.Factory.StartNew(publisher.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                var frames = new FrameClock(publisher, clock);
                TimeSpan interval = TimeSpan.FromMilliseconds(live ? 1000.0 / options.FramesPerSecond : 1000);
                bool crashNoted = false;
                void Frame()
                {
                    if (!crashNoted && members[stopMember].State != MemberState.Running)
                    {
                        crashNoted = true;
                        log.Note($"{stopMember} is {members[stopMember].State}: {members[stopMember].Fault?.GetType().Name ?? "left"}");
                    }

                    view.Render(Snapshot(title, frames, generator.PlannedEvents, groups, analyticsNote), log.Lines());
                }

                while (!publishing.IsCompleted)
                {
                    await Task.WhenAny(publishing, Task.Delay(interval)).ConfigureAwait(false);
                    Frame();
                }

                await publishing.ConfigureAwait(false);
                log.Note($"published {N(publisher.Published)} events in {publisher.Elapsed.TotalSeconds:0.0}s; draining");
                if (stage is not null)
                {
                    await stage.ReleaseAsync().ConfigureAwait(false);
                }

                Task drained = Task.WhenAll(groups.Select(g => g.Group.Completion).Prepend(orders.CompleteAsync()).Append(stage?.DrainAsync() ?? Task.CompletedTask));
                Task deadline = Task.Delay(TimeSpan.FromSeconds(options.DrainTimeoutSeconds));
                while (!drained.IsCompleted && !deadline.IsCompleted)
                {
                    await Task.WhenAny(drained, deadline, Task.Delay(interval)).ConfigureAwait(false);
                }

                if (!drained.IsCompleted)
                {
                    drainError = $"the groups did not finish within {options.DrainTimeoutSeconds:0} s after publishing ended";
                }
                else
                {
                    await drained.ConfigureAwait(false);
                    log.Note("every group drained");
                }

                Frame();
            }
            finally
            {
                view.Stop();
            }

            if (!live)
            {
                output.WriteLine();
                LiveView.Table(groups.Select(g => ToView(g.Group, analyticsNote)).ToList()).ForEach(output.WriteLine);
            }

            output.WriteLine();
            WriteServiceSummary(output, groups, deadLetters, analyticsNote);
            output.WriteLine();
            if (double.IsPositiveInfinity(rate))
            {
                MaxRateReport.Lines(publisher.Published, publisher.Elapsed, publisher.Stalled, Environment.ProcessorCount).ForEach(output.WriteLine);
                output.WriteLine();
            }

            if (durableNotes.Count != 0)
            {
                output.WriteLine($"Durability ({options.Durable}):");
                durableNotes.ForEach(note => output.WriteLine("  " + note["--durable: ".Length..]));
                output.WriteLine();
            }

            var tp = new TopicPartition(OrdersTopic, stopPartition);
            string? newOwner = log.NextOwner(stopMember, tp);
            var stop = new MemberStopObservation(
                stopMember,
                stopPartition,
                members[stopMember].State.ToString(),
                newOwner,
                log.CommittedAtRevoke(stopMember, tp),
                logA.Members.FirstOrDefault(m => m.MemberId == newOwner)?.FirstOffset[stopPartition] ?? -1,
                orders[stopPartition].EndOffset,
                rebalancesBefore,
                groupA.RebalanceCount);
            var observations = new RunObservations(
                generator.PublishedPerOrder(),
                [.. groups.Select(g => GroupObservation.From(g.Log, g.Group.GetStats().Sum(s => s.Lost), g.Group.RebalanceCount, g.Group.Options.MaxBatchSize))],
                Samples(orders, logA, partitioner),
                partitioner.Name,
                stop,
                drainError,
                stage?.Observe());
            VerificationReport report = Verifier.Verify(observations);
            report.WriteTo(output);
            output.Flush();
            return report;
        }
        finally
        {
            stage?.Dispose();
            foreach ((ConsumerGroup<OrderEvent> group, _) in groups)
            {
                group.Dispose();
            }
        }
    }

    /// <summary>On a durable topic: where a group resumes and how much of the journal it replays.</summary>
    private static void NoteResume(RunLog log, List<string> notes, ConsumerGroup<OrderEvent> group, Topic<OrderEvent> orders)
    {
        if (orders.Recovery is not { IsNew: false })
        {
            return;
        }

        long committed = orders.Partitions.Sum(p => group.GetCommittedOffset(OrdersTopic, p.Id));
        long replay = orders.Partitions.Sum(p => p.EndOffset) - committed;
        notes.Add($"--durable: {group.GroupId,-18} resumes after {N(committed)} events, {N(replay)} to replay");
        log.Note(notes[^1]);
    }

    private static ViewState Snapshot(
        string title, FrameClock frames, long planned, List<(ConsumerGroup<OrderEvent> Group, GroupLog Log)> groups, string? analyticsNote)
    {
        (TimeSpan elapsed, long published, double rate) = frames.Tick();
        return new ViewState(title, elapsed, published, planned, rate, [.. groups.Select(g => ToView(g.Group, analyticsNote))], []);
    }

    private static GroupView ToView(ConsumerGroup<OrderEvent> group, string? analyticsNote) =>
        new(group.GroupId, group.Options.Lossy, group.RebalanceCount, group.GetStats(), group.GroupId == Analytics ? analyticsNote : null);

    /// <summary>What the view and the report say of analytics: slow on purpose (unless the options turn the sleep off).</summary>
    internal static string? AnalyticsNote(int sleepEvery) =>
        sleepEvery > 0
            ? $"lossy and deliberately slow (sleeps 1 ms every {sleepEvery} events): it never holds the publisher back; it skips what it missed and counts it as lost"
            : null;

    private static List<KeySample> Samples(Topic<OrderEvent> orders, GroupLog logA, Partitioner partitioner)
    {
        var samples = new List<KeySample>();
        Span<byte> key = stackalloc byte[OrderIds.MaxKeyLength];
        for (int index = 0; index < Math.Min(5, logA.PartitionOf.Length); index++)
        {
            int length = OrderIds.WriteKey(OrderIds.FromIndex(index), key);
            byte seen = logA.PartitionOf[index];
            samples.Add(new KeySample(
                Encoding.UTF8.GetString(key[..length]),
                seen == GroupLog.NoPartition ? -1 : seen,
                partitioner.PartitionFor(key[..length], orders.PartitionCount),
                KafkaPartitioner.PartitionForKey(key[..length], orders.PartitionCount)));
        }

        return samples;
    }

    private static void WriteServiceSummary(
        TextWriter output, List<(ConsumerGroup<OrderEvent> Group, GroupLog Log)> groups, Topic<DeadLetter<OrderEvent>>? deadLetters, string? analyticsNote)
    {
        output.WriteLine("What the handlers did (fan-out services act on order_placed only):");
        foreach ((ConsumerGroup<OrderEvent> group, GroupLog groupLog) in groups)
        {
            long Count(OrderEventType type) => groupLog.Members.Sum(m => m.ByType[(int)type]);
            long placed = Count(OrderEventType.Placed);
            long units = groupLog.Members.Sum(m => m.UnitsPlaced);
            string what = group.GroupId switch
            {
                GroupA => $"orders: {N(placed)} placed, {N(Count(OrderEventType.Shipped))} shipped, {N(Count(OrderEventType.Cancelled))} cancelled",
                "inventory-service" => $"reserved {N(units)} units for {N(placed)} orders",
                "shipping-service" => $"booked {N(placed)} shipments",
                "email-service" => $"sent {N(placed)} order confirmations",
                "audit-log-service" => $"logged {N(placed)} new orders",
                _ => $"saw {N(placed)} new orders ({N(units)} units); the rest it lost",
            };
            output.WriteLine($"  {group.GroupId,-18} {what}");
            if (group.GroupId == Analytics && analyticsNote is not null)
            {
                const int Indent = 2 + 18 + 1; // under `what`
                TextLayout.Wrap(analyticsNote, LiveView.Width - Indent).ForEach(line => output.WriteLine(new string(' ', Indent) + line));
            }
        }

        if (deadLetters is not null)
        {
            output.WriteLine($"  {deadLetters.Name,-18} {N(deadLetters.Partitions.Sum(p => p.EndOffset))} dead letters");
        }
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
