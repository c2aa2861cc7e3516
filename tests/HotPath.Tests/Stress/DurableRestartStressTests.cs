using System.Collections.Concurrent;
using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Durability;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// A durable topic under two writers and three durable groups (one reads journaled events only), restarted cleanly
/// mid-stream several times (writers stopped, groups and topic disposed, the directory reopened, the groups recreated),
/// with a new group joining late in every session after the first (it starts at the journal's start and catches up
/// through a 64-slot ring). Checks, per group and partition: every offset handed out exactly once across all sessions,
/// in offset order (each session resumes exactly at the committed offset of the last one), the sum of the values, and
/// per-key order (each key's sequence numbers arrive as 0, 1, 2, …). Runs about 10 s by default (CI); set
/// HOTPATH_STRESS_SECONDS for a longer run (the number of restarts grows with it).
/// </summary>
public class DurableRestartStressTests(ITestOutputHelper output)
{
    private const string TopicName = "durable-stress";
    private const int Partitions = 4;
    private const int Writers = 2;
    private const int KeysPerWriter = 32;
    private const int Keys = Writers * KeysPerWriter;

    public struct KeyedEvent
    {
        public int Key;
        public long Sequence;
        public long Value;
    }

    [Fact]
    public void Restarts_WritersAndDurableGroupsAcrossCleanRestarts_EveryEventOnceInOrderWithMatchingSums()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_STRESS_SECONDS"), out int s) ? s : 10;
        // One session per 2.5 s: 4 sessions (3 restarts) in the default run.
        int sessions = Math.Max(2, seconds * 2 / 5);
        TimeSpan sessionLength = TimeSpan.FromSeconds((double)seconds / sessions);
        using var directory = new TempDirectory();
        var options = new TopicOptions
        {
            Name = TopicName,
            PartitionCount = Partitions,
            Capacity = 64,
            PublishMode = PublishMode.MultiWriter,
            Durability = new DurabilityOptions
            {
                Directory = directory.Path,
                Sync = SyncPolicy.Interval,
                SyncInterval = TimeSpan.FromMilliseconds(5),
                SegmentBytes = 64 << 10,
                MaxBatch = 256,
            },
        };

        var ledgers = new List<Ledger>
        {
            new("plain", journaledOnly: false),
            new("batched", journaledOnly: false),
            new("journaled", journaledOnly: true),
        };
        var publishedCount = new long[Partitions];
        var publishedSum = new long[Partitions];
        var sequences = new long[Keys];
        var started = Stopwatch.StartNew();
        for (int session = 0; session < sessions; session++)
        {
            bool last = session == sessions - 1;
            using var topic = new Topic<KeyedEvent>(options);
            Assert.True(topic.Recovery!.TruncatedBytes == 0, $"session {session}: a clean shutdown left a torn tail: {topic.Recovery}");
            for (int p = 0; p < Partitions; p++)
            {
                Assert.Equal(publishedCount[p], topic[p].EndOffset);
            }

            if (session > 0)
            {
                ledgers.Add(new Ledger($"late{session}", journaledOnly: session % 2 == 0));
            }

            var groups = ledgers.Select(l => l.Open(topic, Partitions)).ToList();
            using var stop = new CancellationTokenSource(sessionLength);
            Thread[] writers = [.. Enumerable.Range(0, Writers).Select(w => new Thread(() => Write(topic, w, sequences, publishedCount, publishedSum, stop.Token)))];
            foreach (Thread writer in writers)
            {
                writer.Start();
            }

            foreach (Thread writer in writers)
            {
                Assert.True(writer.Join(TimeSpan.FromSeconds(60)), "a writer did not stop");
            }

            if (last)
            {
                // Everyone catches up before the last shutdown.
                foreach ((Ledger ledger, ConsumerGroup<KeyedEvent> group) in ledgers.Zip(groups))
                {
                    Assert.True(
                        SpinWait.SpinUntil(() => Enumerable.Range(0, Partitions).All(p => group.GetCommittedOffset(TopicName, p) == publishedCount[p]), TimeSpan.FromSeconds(60)),
                        $"{ledger.Name} did not drain: {ledger.Describe()}");
                }
            }

            // Mid-stream: the groups stop wherever they are (members commit what they handled).
            foreach ((Ledger ledger, ConsumerGroup<KeyedEvent> group) in ledgers.Zip(groups))
            {
                group.Dispose();
                ledger.Settle(group, Partitions);
            }
        }

        using (var reopened = new Topic<KeyedEvent>(options))
        {
            foreach (Ledger ledger in ledgers)
            {
                for (int p = 0; p < Partitions; p++)
                {
                    Assert.True(
                        reopened.Recovery!.GroupOffsets.TryGetValue((ledger.Name, p), out long stored) && stored == publishedCount[p],
                        $"{ledger.Name} p{p}: stored offset {stored}, published {publishedCount[p]}");
                }
            }
        }

        output.WriteLine(
            $"{sessions} sessions in {started.Elapsed.TotalSeconds:F1} s, {publishedCount.Sum()} events, groups: {string.Join(", ", ledgers.Select(l => l.Name))}");
        foreach (Ledger ledger in ledgers)
        {
            Assert.True(ledger.Violations.IsEmpty, $"{ledger.Name}: {ledger.Violations.Count} violation(s): {string.Join("; ", ledger.Violations.Take(5))}");
            for (int p = 0; p < Partitions; p++)
            {
                Assert.True(ledger.Next[p] == publishedCount[p], $"{ledger.Name} p{p}: handled up to {ledger.Next[p]}, published {publishedCount[p]}");
                Assert.True(ledger.Sum[p] == publishedSum[p], $"{ledger.Name} p{p}: sum {ledger.Sum[p]}, published {publishedSum[p]}");
            }
        }
    }

    /// <summary>Publishes keyed events with per-key sequence numbers until <paramref name="stop"/>; counts and sums per partition.</summary>
    private static void Write(Topic<KeyedEvent> topic, int writer, long[] sequences, long[] count, long[] sum, CancellationToken stop)
    {
        var random = new Random(writer * 7919 + Environment.TickCount);
        while (!stop.IsCancellationRequested)
        {
            int key = writer * KeysPerWriter + random.Next(KeysPerWriter);
            long value = random.Next(1, 1000);
            // The writer owns its keys' sequence numbers.
            var @event = new KeyedEvent { Key = key, Sequence = sequences[key], Value = value };
            if (topic.TryPublish((long)key, in @event, TimeSpan.FromMilliseconds(50), out PublishResult result))
            {
                sequences[key]++;
                Interlocked.Increment(ref count[result.Partition]);
                Interlocked.Add(ref sum[result.Partition], value);
            }
        }
    }

    /// <summary>
    /// One durable group across sessions: per partition, the next offset it must be handed and the sum of the values; per
    /// key, the next sequence number. One member handles a partition at a time, and each session resumes at the committed
    /// offset, so any duplicate, gap or reordering shows as a violation.
    /// </summary>
    private sealed class Ledger(string name, bool journaledOnly)
    {
        private readonly long[] _nextSequence = new long[Keys];

        public string Name { get; } = name;

        public long[] Next { get; } = new long[Partitions];

        public long[] Sum { get; } = new long[Partitions];

        public ConcurrentQueue<string> Violations { get; } = new();

        public ConsumerGroup<KeyedEvent> Open(Topic<KeyedEvent> topic, int partitions)
        {
            var group = new ConsumerGroup<KeyedEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = Name,
                ReadJournaledOnly = journaledOnly,
                MaxBatchSize = Name == "batched" ? 256 : 16,
                RebalanceTimeout = TimeSpan.FromSeconds(30),
            });
            for (int p = 0; p < partitions; p++)
            {
                long committed = group.GetCommittedOffset(TopicName, p);
                if (committed != Next[p])
                {
                    Violations.Enqueue($"p{p}: resumed at {committed}, handled up to {Next[p]}");
                }
            }

            group.Join(new Handler(this));
            group.Join(new Handler(this));
            return group;
        }

        /// <summary>After the group's disposal: what it committed is exactly what it handled.</summary>
        public void Settle(ConsumerGroup<KeyedEvent> group, int partitions)
        {
            for (int p = 0; p < partitions; p++)
            {
                long committed = group.GetCommittedOffset(TopicName, p);
                if (committed != Volatile.Read(ref Next[p]))
                {
                    Violations.Enqueue($"p{p}: committed {committed} at shutdown, handled up to {Next[p]}");
                }
            }
        }

        public string Describe() => string.Join(", ", Next.Select((n, p) => $"p{p}={n}"));

        public void Handle(in KeyedEvent @event, int partition, long offset)
        {
            if (offset != Next[partition])
            {
                Violations.Enqueue($"p{partition}: handed offset {offset}, expected {Next[partition]}");
            }

            if (@event.Sequence != _nextSequence[@event.Key])
            {
                Violations.Enqueue($"key {@event.Key}: sequence {@event.Sequence}, expected {_nextSequence[@event.Key]} (p{partition} offset {offset})");
            }

            _nextSequence[@event.Key] = @event.Sequence + 1;
            Sum[partition] += @event.Value;
            Volatile.Write(ref Next[partition], offset + 1);
        }

        private sealed class Handler(Ledger ledger) : IEventHandler<KeyedEvent>
        {
            public void OnEvent(ref readonly KeyedEvent @event, int partition, long offset, bool endOfBatch) => ledger.Handle(in @event, partition, offset);
        }
    }
}
