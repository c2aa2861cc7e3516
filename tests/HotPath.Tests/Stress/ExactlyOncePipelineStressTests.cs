using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// Exactly-once through a three-stage pipeline under chaos: orders → processed-orders → notifications. Plain writers
/// publish orders 1..n keyed by order id (multi-writer); two transactional groups (<c>JoinTransactional</c>, read-committed)
/// each publish one event per input; observer groups count what a read-committed reader of processed-orders and of
/// notifications sees, and what a read-uncommitted reader of processed-orders sees. Meanwhile members crash (the
/// default stop-member policy in stage 1; retries that cannot save them in stage 2), hang past the session time-out
/// (declared failed, released later), fail transiently (retried by stage 2's policy), run past the transaction time-out
/// (the coordinator aborts), commit while the coordinator's time-out is aborting their transaction, leave and join. Checks: every order has exactly one processed order and one notification
/// read-committed, the counts and sums agree (n(n+1)/2 for the ids), a hung member declared failed finds its publisher
/// fenced, a member faults only on the chaos' own exceptions (a coordinator time-out hands the batch out again), every
/// stopped member's thread ends; the read-uncommitted duplicates (the aborted attempts' outputs) are reported and must
/// equal the offsets the read-committed observer stepped over as aborted.
/// Runs about 20 s by default (CI); HOTPATH_STRESS_SECONDS=600 for the long run. Sized from
/// <see cref="Environment.ProcessorCount"/>. Prints one summary line with the figures.
/// </summary>
public class ExactlyOncePipelineStressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromMilliseconds(100);
    // Above the transaction time-out plus the coordinator's tick (a quarter of it); below the session time-out.
    private static readonly TimeSpan SlowTime = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan HangTime = TimeSpan.FromSeconds(1);

    [Fact]
    public void ExactlyOncePipeline_CrashesHangsRetriesTimeoutsAndRebalances_EachOrderOneProcessedOrderAndOneNotification()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_STRESS_SECONDS"), out int s) ? s : 20;
        int cores = Environment.ProcessorCount;
        int writers = Math.Clamp(cores / 2, 2, 4);
        // Paced: each stage may stall for a session time-out and a rebalance (a hung member) without the stages before
        // it blocking longer than their transaction time-out on every batch.
        long ordersPerSecond = 10_000L * Math.Clamp(cores, 2, 8);
        long maxOrders = ordersPerSecond * (seconds + 1);
        Stopwatch clock = Stopwatch.StartNew();
        var random = new Random(20261207);

        using var orders = new Topic<PipelineEvent>(new TopicOptions { Name = "orders", PartitionCount = Math.Clamp(cores * 2, 4, 8), Capacity = 256 });
        using var processed = new Topic<PipelineEvent>(new TopicOptions { Name = "processed-orders", PartitionCount = Math.Clamp(cores, 2, 4) + 1, Capacity = 4096 });
        using var notifications = new Topic<PipelineEvent>(new TopicOptions { Name = "notifications", PartitionCount = Math.Clamp(cores, 2, 4), Capacity = 4096 });
        using var coordinator = new TransactionCoordinator(TransactionTimeout);

        var stageOptions = new ConsumerGroupOptions
        {
            GroupId = "process",
            SessionTimeout = SessionTimeout,
            RebalanceTimeout = TimeSpan.FromSeconds(2),
            MaxBatchSize = 64,
            Isolation = IsolationLevel.ReadCommitted,
        };
        using var process = new PipelineStage(orders, processed, coordinator, stageOptions, HangTime, SlowTime);
        using var notify = new PipelineStage(
            processed,
            notifications,
            coordinator,
            stageOptions with
            {
                GroupId = "notify",
                Assignor = new RangeAssignor(),
                ErrorPolicy = new ErrorPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(10) },
            },
            HangTime,
            SlowTime);
        PipelineStage[] stages = [process, notify];

        var processedCommitted = new PipelineLedger("processed-orders read-committed", processed.PartitionCount, maxOrders, stage: 1);
        var processedUncommitted = new PipelineLedger("processed-orders read-uncommitted", processed.PartitionCount, maxOrders, stage: 1);
        var notified = new PipelineLedger("notifications read-committed", notifications.PartitionCount, maxOrders, stage: 2);
        using var processedCommittedGroup = Observe(processed, "audit-committed", IsolationLevel.ReadCommitted, processedCommitted);
        using var processedUncommittedGroup = Observe(processed, "audit-uncommitted", IsolationLevel.ReadUncommitted, processedUncommitted);
        using var notifiedGroup = Observe(notifications, "count-notifications", IsolationLevel.ReadCommitted, notified);
        (ConsumerGroup<PipelineEvent> Group, Topic<PipelineEvent> Topic)[] observers =
            [(processedCommittedGroup, processed), (processedUncommittedGroup, processed), (notifiedGroup, notifications)];

        foreach (PipelineStage stage in stages)
        {
            stage.Join();
            stage.Join();
        }

        long nextId = 0;
        var errors = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        Thread[] writerThreads = [.. Enumerable.Range(0, writers).Select(w => new Thread(() => Write(w)) { IsBackground = true, Name = $"order writer {w}" })];
        foreach (Thread writer in writerThreads)
        {
            writer.Start();
        }

        int leaves = 0, joins = 0, asked = 0;
        while (!stop.IsCancellationRequested)
        {
            Thread.Sleep(random.Next(30, 150));
            foreach (PipelineStage each in stages)
            {
                each.ReleaseHangs(all: false);
            }

            PipelineStage stage = stages[random.Next(stages.Length)];
            List<GroupMember<PipelineEvent>> running = stage.Running;
            switch (random.Next(8))
            {
                case 0 when running.Count > 1:
                    running[random.Next(running.Count)].Leave();
                    leaves++;
                    break;
                case 1 when running.Count < 3:
                    stage.Join();
                    joins++;
                    break;
                case 2 when running.Count > 0:
                    asked += stage.Request(PipelineChaos.Crash) ? 1 : 0;
                    break;
                case 3 when running.Count > 1 && !stage.HangInProgress:
                    asked += stage.Request(PipelineChaos.Hang) ? 1 : 0;
                    break;
                case 4:
                    asked += stage.Request(PipelineChaos.Slow) ? 1 : 0;
                    break;
                case 5:
                    asked += stage.Request(PipelineChaos.SlowAtCommit) ? 1 : 0;
                    break;
                case 6 when stage == notify:
                    asked += stage.Request(PipelineChaos.Transient) ? 1 : 0;
                    break;
                case 7:
                    asked += stage.Request(PipelineChaos.CommitDuringTimeout) ? 1 : 0;
                    break;
            }

            if (stage.Running.Count < 2)
            {
                stage.Join();
                joins++;
            }
        }

        foreach (Thread writer in writerThreads)
        {
            Assert.True(writer.Join(TimeSpan.FromSeconds(30)), $"{writer.Name} stopped");
        }

        long n = Math.Min(Interlocked.Read(ref nextId), maxOrders);
        TimeSpan writing = clock.Elapsed;
        foreach (PipelineStage stage in stages)
        {
            stage.Calm();
            stage.ReleaseHangs(all: true);
        }

        // A hang or a crash asked last may still be under way, and the watchdog may still fence a member: let it settle
        // before making sure each stage has a live member.
        Thread.Sleep(SessionTimeout + SessionTimeout + SlowTime);
        foreach (PipelineStage stage in stages)
        {
            stage.ReleaseHangs(all: true);
            if (stage.Running.Count == 0)
            {
                stage.Join();
                joins++;
            }
        }

        bool drained = SpinWait.SpinUntil(
            () =>
            {
                // A hang taken just before the calm registers its release late.
                Array.ForEach(stages, stage => stage.ReleaseHangs(all: true));
                return Drained(orders, process.Group) && Drained(processed, notify.Group) && observers.All(o => Drained(o.Topic, o.Group));
            },
            TimeSpan.FromSeconds(60));
        TimeSpan draining = clock.Elapsed - writing;
        if (!drained)
        {
            errors.Add($"the pipeline did not drain within 60 s after the chaos ({n} orders)");
            foreach (PipelineStage stage in stages)
            {
                errors.Add("  " + stage.Describe());
            }

            foreach ((ConsumerGroup<PipelineEvent> group, _) in observers)
            {
                errors.Add($"  {group.GroupId}: members [{string.Join(", ", group.Members)}]; {string.Join("; ", group.GetStats())}");
            }

            foreach (Topic<PipelineEvent> topic in new[] { orders, processed, notifications })
            {
                errors.Add($"  {topic.Name}: " + string.Join("; ", topic.Partitions.Select(p => $"p{p.Id} end {p.EndOffset} stable {p.LastStableOffset} open transactions {p.Transactions.OpenCount}")));
            }
        }

        // Every member that stopped (left, faulted, declared failed) ends its thread once its handler returns.
        foreach (PipelineStage stage in stages)
        {
            foreach (GroupMember<PipelineEvent> member in stage.Joined.Where(m => m.State != MemberState.Running))
            {
                if (!SpinWait.SpinUntil(() => member.Worker.HasExited, TimeSpan.FromSeconds(10)))
                {
                    errors.Add($"{stage.Group.GroupId}: member {member} stopped but its thread did not end");
                }
            }

            errors.AddRange(stage.Errors());
        }

        long duplicates = 0;
        long abortedSkipped = processedCommittedGroup.GetStats().Sum(p => p.Aborted);
        if (drained)
        {
            processedCommitted.CheckExactlyOnce(n, errors);
            notified.CheckExactlyOnce(n, errors);
            duplicates = processedUncommitted.CheckAtLeastOnce(n, errors);
            if (duplicates != abortedSkipped)
            {
                errors.Add($"the read-uncommitted observer saw {duplicates} processed orders beyond one per order, the read-committed one stepped over {abortedSkipped} aborted offsets");
            }

            // Each kind of chaos is asked about once a second: a run of a few seconds may miss one.
            if (asked >= 20 && (duplicates == 0 || process.Crashes + notify.Crashes == 0 || process.Timeouts + notify.Timeouts == 0 || process.Hangs + notify.Hangs == 0))
            {
                errors.Add($"the chaos did not happen: {duplicates} duplicates, {process.Crashes + notify.Crashes} crashes, {process.Timeouts + notify.Timeouts} coordinator time-outs, {process.Hangs + notify.Hangs} hangs");
            }
        }

        output.WriteLine(
            $"exactly-once pipeline {seconds} s (writing {writing.TotalSeconds:F1} s, draining {draining.TotalSeconds:F1} s, elapsed {clock.Elapsed.TotalSeconds:F1} s, {cores} cores, "
            + $"partitions {orders.PartitionCount}/{processed.PartitionCount}/{notifications.PartitionCount}): {n} orders; "
            + $"read-committed {processedCommitted.Records} processed orders, {notified.Records} notifications; "
            + $"read-uncommitted {processedUncommitted.Records} processed orders ({duplicates} duplicates from aborted attempts, {abortedSkipped} aborted offsets skipped read-committed); "
            + string.Join("; ", stages.Select(Summary))
            + $"; driver: asked {asked}, leaves {leaves}, joins {joins}");
        foreach (string error in errors)
        {
            output.WriteLine(error);
        }

        Assert.True(errors.Count == 0, $"{errors.Count} violations, first: {string.Join(Environment.NewLine, errors.Take(10))}");

        void Write(int writer)
        {
            var rng = new Random(writer + 1);
            Stopwatch started = Stopwatch.StartNew();
            double perMillisecond = ordersPerSecond / (double)writers / 1000;
            long written = 0;
            while (!stop.IsCancellationRequested)
            {
                // Paced in bursts of up to 64 orders, which wrap the 256-slot rings now and then.
                if (written > started.ElapsedMilliseconds * perMillisecond)
                {
                    Thread.Sleep(1);
                    continue;
                }

                for (int burst = rng.Next(1, 65); burst > 0 && !stop.IsCancellationRequested; burst--)
                {
                    long id = Interlocked.Increment(ref nextId);
                    if (id > maxOrders)
                    {
                        return;
                    }

                    // Every id taken is published (n(n+1)/2 needs 1..n): retry while the ring is full.
                    PipelineEvent order = PipelineEvent.Order(id);
                    Stopwatch waiting = Stopwatch.StartNew();
                    while (!orders.TryPublish(id, in order, TimeSpan.FromMilliseconds(50), out _))
                    {
                        if (waiting.Elapsed > TimeSpan.FromSeconds(30))
                        {
                            lock (errors)
                            {
                                errors.Add($"order writer {writer}: order {id} found no room in 30 s ({process.Describe()})");
                            }

                            return;
                        }
                    }

                    written++;
                }
            }
        }
    }

    private static ConsumerGroup<PipelineEvent> Observe(Topic<PipelineEvent> topic, string groupId, IsolationLevel isolation, PipelineLedger ledger)
    {
        var group = new ConsumerGroup<PipelineEvent>(topic, new ConsumerGroupOptions { GroupId = groupId, Isolation = isolation, MaxBatchSize = 256 });
        group.Join(new PipelineObserver(ledger));
        return group;
    }

    /// <summary>The group committed everything readable, and no transaction holds a partition's last stable offset.</summary>
    private static bool Drained(Topic<PipelineEvent> topic, ConsumerGroup<PipelineEvent> group) =>
        topic.Partitions.All(p => p.LastStableOffset == p.EndOffset && group.GetCommittedOffset(topic.Name, p.Id) == p.EndOffset);

    private static string Summary(PipelineStage stage) =>
        $"{stage.Group.GroupId}: crashes {stage.Crashes} (faulted {stage.Faulted}), hangs {stage.Hangs} (declared failed {stage.Failed}, fenced when they woke {stage.ZombiesFenced}), "
        + $"slow {stage.Slows} (coordinator time-outs {stage.Timeouts}, still open when they woke {stage.LateTimeouts}), commits during a time-out {stage.CommitRaces} ({stage.CommitRacesInWindow} while it was under way), transient {stage.Transients} (retried {stage.Group.GetStats().Sum(p => p.Retried)}), "
        + $"members {stage.Joined.Count}, rebalances {stage.Group.RebalanceCount}";
}
