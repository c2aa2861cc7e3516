using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// The long stress mode: three topics (multi-writer gated from the start, multi-writer read only by lossy groups until a
/// lossless group joins late, single-writer) whose writers mix publishes, claims held across the other writers'
/// publishes, abandoned EventClaims and BatchClaims, and batches; lossless and lossy groups from the start and created
/// while publishing; handler crashes, hangs past the session time-out, member leaves and joins, and seeks back. Checks
/// (see <see cref="StressLedger"/>): nothing lost, torn or reordered, no gap handed out, per-key order, lossy
/// handled + lost accounting. Runs about 20 s by default (CI); HOTPATH_STRESS_SECONDS=600 for the long run. Sized from
/// <see cref="Environment.ProcessorCount"/>. Prints one summary line with the figures.
/// </summary>
public class MixedChaosStressTests(ITestOutputHelper output)
{
    private const int Capacity = 256;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan HangTime = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void MixedChaos_ClaimsAbandonsLateAndLossyGroupsCrashesHangsSeeks_NothingLostTornOrReordered()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_STRESS_SECONDS"), out int s) ? s : 20;
        int cores = Environment.ProcessorCount;
        int partitions = Math.Clamp(cores, 2, 4);
        int multiWriters = Math.Clamp(cores / 2, 2, 4);
        Stopwatch clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var random = new Random(20261201);

        using var gated = new StressTopic("gated", partitions, Capacity, PublishMode.MultiWriter, keysPerPartition: 16);
        using var lossyFirst = new StressTopic("lossy-first", partitions, Capacity, PublishMode.MultiWriter, keysPerPartition: 16);
        using var single = new StressTopic("single", partitions, Capacity, PublishMode.SingleWriter, keysPerPartition: 16);
        StressTopic[] topics = [gated, lossyFirst, single];
        var groups = new List<(ConsumerGroup<StressEvent> Group, StressLedger Ledger)>();
        IPartitionAssignor[] assignors = [new CooperativeStickyAssignor(), new RangeAssignor(), new RoundRobinAssignor()];

        (ConsumerGroup<StressEvent>, StressLedger) AddGroup(StressTopic topic, bool lossy, int pauseEvery = 0)
        {
            string id = $"{topic.Name}-{(lossy ? "lossy" : "lossless")}-{groups.Count}";
            var group = new ConsumerGroup<StressEvent>(topic.Topic, new ConsumerGroupOptions
            {
                GroupId = id,
                Lossy = lossy,
                Assignor = assignors[groups.Count % assignors.Length],
                SessionTimeout = SessionTimeout,
                RebalanceTimeout = TimeSpan.FromSeconds(2),
                MaxBatchSize = 64,
            });
            long[] start = [.. Enumerable.Range(0, partitions).Select(p => group.GetCommittedOffset(topic.Name, p))];
            var ledger = new StressLedger(topic, id, lossy, start) { PauseEvery = pauseEvery };
            for (int m = 0; m < 2; m++)
            {
                group.Join(new StressHandler(ledger));
            }

            groups.Add((group, ledger));
            return (group, ledger);
        }

        // Two lossless groups where seeks go back: the slower one holds the retained window open for the faster one.
        AddGroup(gated, lossy: false);
        AddGroup(gated, lossy: false, pauseEvery: 2048);
        AddGroup(gated, lossy: true);
        AddGroup(lossyFirst, lossy: true);
        AddGroup(single, lossy: false);
        AddGroup(single, lossy: false, pauseEvery: 2048);
        AddGroup(single, lossy: true);

        var writers = new List<Thread>();
        int seed = 1;
        foreach (StressTopic topic in new[] { gated, lossyFirst })
        {
            // Multi-writer: each writer owns every multiWriters-th key; keys spread over the partitions.
            int keys = topic.KeysPerPartition * partitions;
            for (int w = 0; w < multiWriters; w++)
            {
                int[] own = [.. Enumerable.Range(0, keys).Where(k => k % multiWriters == w)];
                writers.Add(StressWriter.Start(topic, own, seed++, stop.Token));
            }
        }

        for (int p = 0; p < partitions; p++)
        {
            // Single-writer: one writer per partition, with the keys of that partition.
            int[] own = [.. Enumerable.Range(0, single.KeysPerPartition).Select(k => (k * partitions) + p)];
            writers.Add(StressWriter.Start(single, own, seed++, stop.Token));
        }

        writers.ForEach(w => w.Start());

        int leaves = 0, crashes = 0, hangs = 0, lateGroups = 0, seeks = 0, seekTimeouts = 0, seeksRefused = 0, seeksNoRoom = 0;
        bool lateLosslessOnLossyFirst = false;
        while (!stop.IsCancellationRequested)
        {
            Thread.Sleep(random.Next(30, 150));
            if (!lateLosslessOnLossyFirst && clock.Elapsed > TimeSpan.FromSeconds(seconds / 3.0))
            {
                // The lossy-only topic's writers were ungated so far: a lossless group joins while they publish.
                AddGroup(lossyFirst, lossy: false);
                lateLosslessOnLossyFirst = true;
                lateGroups++;
                continue;
            }

            if (random.Next(60) == 0 && lateGroups < 6)
            {
                AddGroup(topics[random.Next(topics.Length)], lossy: random.Next(2) == 0);
                lateGroups++;
                continue;
            }

            (ConsumerGroup<StressEvent> group, StressLedger ledger) = groups[random.Next(groups.Count)];
            var running = group.Members.Where(m => m.State == MemberState.Running).ToList();
            switch (random.Next(5))
            {
                case 0 when running.Count > 1:
                    running[random.Next(running.Count)].Leave();
                    leaves++;
                    break;
                case 1 when running.Count > 0:
                    ledger.CrashNext();
                    crashes++;
                    break;
                case 2 when running.Count > 0 && !ledger.Lossy:
                    ledger.HangNext(HangTime);
                    hangs++;
                    break;
                case 3 when !ledger.Lossy:
                    {
                        // Back only (within the retained window and the group's own history): redeliveries, never loss.
                        // The window's low end stays at or below the lowest committed offset of the topic's lossless
                        // groups: hold the others, and seek back to at most theirs (at most MaxHold: then refused).
                        int p = random.Next(partitions);
                        var peers = groups.Where(g => g.Ledger.Topic == ledger.Topic && !g.Ledger.Lossy && g.Ledger != ledger).ToList();
                        peers.ForEach(g => g.Ledger.Hold());
                        try
                        {
                            // The held peers stop after their current event; this group goes on and gets ahead of them
                            // (up to a ring's capacity): wait a little for that.
                            long committed = 0, floor = 0;
                            SpinWait.SpinUntil(
                                () =>
                                {
                                    committed = group.GetCommittedOffset(ledger.Topic.Name, p);
                                    floor = peers.Count == 0 ? ledger.Topic.Topic[p].StartOffset : peers.Min(g => g.Group.GetCommittedOffset(ledger.Topic.Name, p));
                                    return committed > Math.Max(floor, ledger.Start[p]);
                                },
                                StressLedger.MaxHold / 2);
                            long target = Math.Max(Math.Max(ledger.Start[p], floor), committed - random.Next(1, 128));
                            if (target >= committed)
                            {
                                // Nothing retained behind this group's committed offset (it stayed the slowest).
                                seeksNoRoom++;
                                break;
                            }

                            group.Seek(ledger.Topic.Name, p, target);
                            seeks++;
                        }
                        catch (TimeoutException)
                        {
                            seekTimeouts++;
                        }
                        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException)
                        {
                            // The window moved on (a held peer went on after MaxHold) or the owner changed meanwhile:
                            // refused, nothing changed.
                            seeksRefused++;
                        }
                        finally
                        {
                            peers.ForEach(g => g.Ledger.Release());
                        }

                        break;
                    }
            }

            if (group.Members.Count(m => m.State == MemberState.Running) < 2)
            {
                group.Join(new StressHandler(ledger));
            }
        }

        foreach (Thread writer in writers)
        {
            Assert.True(writer.Join(TimeSpan.FromSeconds(30)), $"writer {writer.Name} stopped");
        }

        TimeSpan writing = clock.Elapsed;
        groups.ForEach(g => g.Ledger.Calm());
        // A hang in progress ends within HangTime, and the watchdog may still fence that member: let it settle.
        Thread.Sleep(HangTime + SessionTimeout + SessionTimeout);
        foreach ((ConsumerGroup<StressEvent> group, StressLedger ledger) in groups)
        {
            if (!group.Members.Any(m => m.State == MemberState.Running))
            {
                group.Join(new StressHandler(ledger));
            }
        }

        bool drained = SpinWait.SpinUntil(
            () => groups.All(g => Enumerable.Range(0, partitions).All(p => g.Group.GetLag(g.Ledger.Topic.Name, p) == 0)),
            TimeSpan.FromSeconds(60));

        var errors = new List<string>();
        int seekAttempts = seeks + seekTimeouts + seeksRefused + seeksNoRoom;
        if (seekAttempts >= 10 && seeks == 0)
        {
            errors.Add($"none of {seekAttempts} seeks landed: the run did not exercise seeking back under load");
        }

        if (!drained)
        {
            errors.Add("not every group drained within 60 s after the chaos");
        }

        foreach ((ConsumerGroup<StressEvent> group, StressLedger ledger) in groups)
        {
            errors.AddRange(ledger.Errors());
            IReadOnlyList<PartitionStats> stats = group.GetStats();
            for (int p = 0; p < partitions; p++)
            {
                long end = ledger.Topic.Topic[p].EndOffset;
                long gapsInRange = ledger.Topic.GapsIn(p, ledger.Start[p], end);
                if (!ledger.Lossy && drained && ledger.NextExpected(p) != end)
                {
                    errors.Add($"{ledger.GroupId} p{p}: first deliveries reached {ledger.NextExpected(p)}, end offset {end}");
                }

                if (ledger.Lossy && drained)
                {
                    long events = end - ledger.Start[p] - gapsInRange;
                    long accounted = ledger.Handled(p) + stats[p].Lost;
                    if (accounted < events || accounted > events + gapsInRange)
                    {
                        errors.Add($"{ledger.GroupId} p{p}: handled {ledger.Handled(p)} + lost {stats[p].Lost} = {accounted}, published {events} (+ {gapsInRange} gaps) from offset {ledger.Start[p]}");
                    }
                }
            }

            if (!drained)
            {
                errors.Add($"  {group.GroupId}: members [{string.Join(", ", group.Members)}]; {string.Join("; ", stats)}");
            }
        }

        output.WriteLine(Summary(topics, groups, partitions, seconds, writing, clock.Elapsed, (leaves, crashes, hangs, lateGroups, seeks, seekTimeouts, seeksRefused, seeksNoRoom)));
        foreach (string error in errors)
        {
            output.WriteLine(error);
        }

        groups.ForEach(g => g.Group.Dispose());
        Assert.True(errors.Count == 0, $"{errors.Count} violations, first: {string.Join(Environment.NewLine, errors.Take(10))}");
    }

    private static string Summary(
        StressTopic[] topics,
        List<(ConsumerGroup<StressEvent> Group, StressLedger Ledger)> groups,
        int partitions,
        int seconds,
        TimeSpan writing,
        TimeSpan elapsed,
        (int Leaves, int Crashes, int Hangs, int LateGroups, int Seeks, int SeekTimeouts, int SeeksRefused, int SeeksNoRoom) chaos)
    {
        var text = new System.Text.StringBuilder();
        text.Append($"mixed chaos {seconds} s (writing {writing.TotalSeconds:F1} s, elapsed {elapsed.TotalSeconds:F1} s, {Environment.ProcessorCount} cores, {partitions} partitions/topic):");
        foreach (StressTopic topic in topics)
        {
            text.Append($" {topic.Name} published [{string.Join(' ', topic.Published)}] gaps [{string.Join(' ', Enumerable.Range(0, partitions).Select(topic.Gaps))}] holds {topic.Holds} abandons {topic.Abandons};");
        }

        foreach ((ConsumerGroup<StressEvent> group, StressLedger ledger) in groups)
        {
            IReadOnlyList<PartitionStats> stats = group.GetStats();
            text.Append($" {ledger.GroupId} handled {Enumerable.Range(0, partitions).Sum(ledger.Handled)}");
            text.Append(ledger.Lossy ? $" lost {stats.Sum(s => s.Lost)}" : $" redelivered {ledger.Redeliveries}");
            text.Append($" rebalances {group.RebalanceCount};");
        }

        text.Append($" chaos: crashes {groups.Sum(g => g.Ledger.Crashes)} (asked {chaos.Crashes}), hangs {groups.Sum(g => g.Ledger.Hangs)} (asked {chaos.Hangs}), leaves {chaos.Leaves}, late groups {chaos.LateGroups}, ");
        text.Append($"seeks {chaos.Seeks} (timed out {chaos.SeekTimeouts}, refused {chaos.SeeksRefused}, no room behind {chaos.SeeksNoRoom}); ");
        text.Append($"torn {groups.Sum(g => g.Ledger.Torn)}, gaps handed out {groups.Sum(g => g.Ledger.GapsHandled)}, skipped {groups.Sum(g => g.Ledger.Skipped)}, ");
        text.Append($"reordered {groups.Sum(g => g.Ledger.Reordered)}, key order violations {groups.Sum(g => g.Ledger.KeyOrderViolations)}");
        return text.ToString();
    }
}
