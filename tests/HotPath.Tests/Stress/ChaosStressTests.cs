using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// Writers and several groups under random member joins, leaves, crashes (handler throws) and hangs past the session
/// timeout. Checks, per group: no event lost (every offset of every partition handled at least once), first
/// deliveries per partition in exact offset order, per-key order, and the sum of distinct values.
/// Runs about 20 s by default (CI); set HOTPATH_STRESS_SECONDS for a longer run.
/// </summary>
public class ChaosStressTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int Writers = 2;
    private const int KeysPerWriter = 64;

    public struct KeyedEvent
    {
        public int Key;
        public long Sequence;
        public long Value;
    }

    [Fact]
    public void Chaos_WritersAndGroupsUnderCrashesAndHangs_NoLossNoReorder()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_STRESS_SECONDS"), out int s) ? s : 20;
        // Room for 1 M events per partition and second (5x the rate seen on 2 cores); writers stop at the limit.
        int maxPerPartition = (int)Math.Min(int.MaxValue - 64, 1_000_000L * seconds);
        using var topic = new Topic<KeyedEvent>(new TopicOptions { Name = "stress", PartitionCount = Partitions, Capacity = 256 });
        IPartitionAssignor[] assignors = [new CooperativeStickyAssignor(), new RangeAssignor(), new RoundRobinAssignor()];
        var ledgers = new List<Ledger>();
        var groups = new List<ConsumerGroup<KeyedEvent>>();
        var random = new Random(12345);
        foreach (IPartitionAssignor assignor in assignors)
        {
            var ledger = new Ledger(maxPerPartition, Writers * KeysPerWriter);
            var group = new ConsumerGroup<KeyedEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = "g-" + assignor.Name,
                Assignor = assignor,
                SessionTimeout = TimeSpan.FromMilliseconds(300),
                RebalanceTimeout = TimeSpan.FromSeconds(2),
                MaxBatchSize = 64,
            });
            for (int m = 0; m < 2; m++)
            {
                group.Join(new ChaosHandler(ledger));
            }

            ledgers.Add(ledger);
            groups.Add(group);
        }

        long published = 0;
        long expectedSum = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            var sequences = new long[KeysPerWriter];
            var rng = new Random(w);
            long sum = 0;
            long count = 0;
            while (!stop.IsCancellationRequested)
            {
                int k = rng.Next(KeysPerWriter);
                int key = w * KeysPerWriter + k;
                // The ledgers hold maxPerPartition offsets per partition: stop writing once a partition is that full.
                // Each writer publishes at most one event after its check, so no partition passes maxPerPartition.
                if (topic[key % Partitions].EndOffset >= maxPerPartition - (Writers - 1))
                {
                    break;
                }

                long value = rng.Next(1, 1000);
                var ev = new KeyedEvent { Key = key, Sequence = sequences[k]++, Value = value };
                if (topic[key % Partitions].TryPublish(in ev, TimeSpan.FromMilliseconds(50), out _))
                {
                    sum += value;
                    count++;
                }
                else
                {
                    sequences[k]--;
                }
            }

            Interlocked.Add(ref expectedSum, sum);
            Interlocked.Add(ref published, count);
        })).ToArray();
        foreach (Thread writer in writers)
        {
            writer.Start();
        }

        int crashes = 0, hangs = 0, leaves = 0;
        while (!stop.IsCancellationRequested)
        {
            Thread.Sleep(random.Next(30, 150));
            int g = random.Next(groups.Count);
            var members = groups[g].Members.Where(m => m.State == MemberState.Running).ToList();
            switch (random.Next(4))
            {
                case 0 when members.Count > 0:
                    members[random.Next(members.Count)].Leave();
                    leaves++;
                    break;
                case 1 when members.Count > 0:
                    ledgers[g].CrashNext();
                    crashes++;
                    break;
                case 2 when members.Count > 0:
                    ledgers[g].HangNext(TimeSpan.FromMilliseconds(500));
                    hangs++;
                    break;
            }

            if (groups[g].Members.Count(m => m.State == MemberState.Running) < 3)
            {
                groups[g].Join(new ChaosHandler(ledgers[g]));
            }
        }

        foreach (Thread writer in writers)
        {
            Assert.True(writer.Join(TimeSpan.FromSeconds(30)));
        }

        ledgers.ForEach(l => l.Calm());
        // A hang already in progress ends within 500 ms, and the watchdog may still fence that member (session 300 ms):
        // let it settle before making sure each group has a live member.
        Thread.Sleep(1000);
        for (int g = 0; g < groups.Count; g++)
        {
            if (!groups[g].Members.Any(m => m.State == MemberState.Running))
            {
                groups[g].Join(new ChaosHandler(ledgers[g]));
            }
        }

        bool drained = SpinWait.SpinUntil(
            () => groups.All(group => topic.Partitions.All(p => group.GetLag("stress", p.Id) == 0)),
            TimeSpan.FromSeconds(60));
        output.WriteLine($"published {published} in {seconds}s; chaos: {leaves} leaves, {crashes} crashes, {hangs} hangs");
        if (!drained)
        {
            foreach (var group in groups)
            {
                output.WriteLine($"{group.GroupId}: members {string.Join(", ", group.Members.Select(m => $"{m} [{string.Join(' ', m.Assignment.Select(a => a.Partition))}]"))}");
                foreach (var stats in group.GetStats())
                {
                    output.WriteLine($"  {stats}");
                }
            }
        }

        Assert.True(drained, "every group drains after the chaos");

        for (int g = 0; g < groups.Count; g++)
        {
            Ledger ledger = ledgers[g];
            output.WriteLine($"{groups[g].GroupId}: rebalances {groups[g].RebalanceCount}, duplicates {ledger.Duplicates}");
            Assert.Equal(0, ledger.OrderViolations);
            Assert.Equal(0, ledger.KeyOrderViolations);
            for (int p = 0; p < Partitions; p++)
            {
                Assert.Equal(topic[p].EndOffset, ledger.FirstDeliveries(p));
            }

            Assert.Equal(expectedSum, ledger.DistinctSum);
            groups[g].Dispose();
        }
    }

    /// <summary>What one group's handlers saw, shared by its members (thread-safe: a fenced member may overlap).</summary>
    private sealed class Ledger(int maxPerPartition, int keys)
    {
        private readonly object _lock = new();
        private readonly long[] _nextFirst = new long[Partitions];
        private readonly long[] _keySequence = Enumerable.Repeat(-1L, keys).ToArray();
        private readonly System.Collections.BitArray[] _seen = Enumerable.Range(0, Partitions).Select(_ => new System.Collections.BitArray(maxPerPartition)).ToArray();
        private int _crashNext;
        private long _hangNextTicks;

        public long OrderViolations { get; private set; }

        public long KeyOrderViolations { get; private set; }

        public long Duplicates { get; private set; }

        public long DistinctSum { get; private set; }

        public long FirstDeliveries(int partition)
        {
            lock (_lock)
            {
                return _nextFirst[partition];
            }
        }

        public void CrashNext() => Volatile.Write(ref _crashNext, 1);

        public void HangNext(TimeSpan duration) => Volatile.Write(ref _hangNextTicks, duration.Ticks);

        public void Calm()
        {
            Volatile.Write(ref _crashNext, 0);
            Volatile.Write(ref _hangNextTicks, 0);
        }

        public void Record(in KeyedEvent e, int partition, long offset)
        {
            if (Interlocked.Exchange(ref _crashNext, 0) == 1)
            {
                throw new InvalidOperationException("chaos: handler crash");
            }

            long hang = Interlocked.Exchange(ref _hangNextTicks, 0);
            if (hang != 0)
            {
                Thread.Sleep(TimeSpan.FromTicks(hang));
            }

            lock (_lock)
            {
                if (_seen[partition][(int)offset])
                {
                    Duplicates++;
                    return;
                }

                _seen[partition][(int)offset] = true;
                if (offset != _nextFirst[partition])
                {
                    OrderViolations++;
                }

                _nextFirst[partition] = Math.Max(_nextFirst[partition], offset + 1);
                if (e.Sequence <= _keySequence[e.Key])
                {
                    KeyOrderViolations++;
                }

                _keySequence[e.Key] = e.Sequence;
                DistinctSum += e.Value;
            }
        }
    }

    private sealed class ChaosHandler(Ledger ledger) : IEventHandler<KeyedEvent>
    {
        public void OnEvent(ref readonly KeyedEvent @event, int partition, long offset, bool endOfBatch) =>
            ledger.Record(in @event, partition, offset);
    }
}
