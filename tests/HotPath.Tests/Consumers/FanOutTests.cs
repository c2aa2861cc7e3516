using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Abstractions;

namespace HotPath.Tests.Consumers;

/// <summary>
/// One writer, four groups of one to three members, a few million keyed events: every group handles every
/// event once, each key's events in order, and neither the writer nor any member allocates per event.
/// </summary>
public sealed class FanOutTests(ITestOutputHelper output)
{
    private const int Partitions = 3;
    private const int Keys = 64;
    private const long Events = 3_000_000;
    private const long WriterWarmup = 100_000;
    private const long MemberWarmup = 50_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string> WaitStrategies => ["yielding", "blocking"];

    [Theory]
    [MemberData(nameof(WaitStrategies))]
    public void FourGroups_ThreeMillionKeyedEvents_EachGroupSeesEveryEventOnceInKeyOrderWithoutAllocating(string waitName)
    {
        WaitStrategy wait = waitName == "yielding" ? WaitStrategy.Yielding : WaitStrategy.Blocking;
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "fanout",
            PartitionCount = Partitions,
            Capacity = 4096,
            PublishMode = PublishMode.SingleWriter,
            WaitStrategy = wait,
        });
        (string Id, IPartitionAssignor Assignor, int Members)[] shapes =
        [
            ("ledger", new RangeAssignor(), 1),
            ("audit", new RoundRobinAssignor(), 2),
            ("search", new CooperativeStickyAssignor(), 3),
            ("metrics", new CooperativeStickyAssignor(), 2),
        ];
        var groups = new List<ConsumerGroup<TestEvent>>();
        var tallies = new List<(string Group, MemberTally Tally)>();
        try
        {
            foreach ((string id, IPartitionAssignor assignor, int members) in shapes)
            {
                var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = id, Assignor = assignor, WaitStrategy = wait });
                groups.Add(group);
                for (int m = 0; m < members; m++)
                {
                    var tally = new MemberTally();
                    tallies.Add((id, tally));
                    group.Join(new TallyHandler(tally));
                }
            }

            var clock = Stopwatch.StartNew();
            long writerAllocated = PublishAll(topic);
            long publishedAt = clock.ElapsedMilliseconds;
            Assert.True(
                SpinWait.SpinUntil(() => groups.All(g => Enumerable.Range(0, Partitions).All(p => g.GetLag("fanout", p) == 0)), Timeout),
                "groups did not drain in time");
            output.WriteLine($"{waitName}: published {Events:N0} in {publishedAt} ms, all {groups.Count} groups drained at {clock.ElapsedMilliseconds} ms");

            Assert.Equal(0, writerAllocated);
            foreach (IGrouping<string, (string Group, MemberTally Tally)> group in tallies.GroupBy(t => t.Group))
            {
                Assert.Equal(Events, group.Sum(t => t.Tally.Count));
                Assert.Equal(Events * (Events - 1) / 2, group.Sum(t => t.Tally.Sum));
                foreach ((_, MemberTally tally) in group)
                {
                    output.WriteLine($"  {group.Key}: {tally.Count:N0} events, allocated after warm-up {tally.AllocatedAfterWarmup} B");
                    Assert.Equal(0, tally.OrderViolations);
                    Assert.True(tally.Count > MemberWarmup, $"{group.Key}: a member handled only {tally.Count} events");
                    Assert.Equal(0, tally.AllocatedAfterWarmup);
                }
            }
        }
        finally
        {
            groups.ForEach(g => g.Dispose());
        }
    }

    /// <summary>Publishes value i with key i % Keys; returns the bytes this thread allocated after the warm-up.</summary>
    private static long PublishAll(Topic<TestEvent> topic)
    {
        for (long i = 0; i < WriterWarmup; i++)
        {
            topic.Publish(i % Keys, new TestEvent(i, (int)(i % Keys)));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = WriterWarmup; i < Events; i++)
        {
            topic.Publish(i % Keys, new TestEvent(i, (int)(i % Keys)));
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>One member's counters, written only by its thread; read by the test after the group drained.</summary>
    private sealed class MemberTally
    {
        public long Sum;
        public long Count;
        public long OrderViolations;
        public long AllocatedAtWarmup = -1;
        public long AllocatedAtLastBatch = -1;
        public readonly long[] LastValuePerKey = CreateLastValues();

        public long AllocatedAfterWarmup => AllocatedAtLastBatch - AllocatedAtWarmup;

        private static long[] CreateLastValues()
        {
            var last = new long[Keys];
            Array.Fill(last, -1);
            return last;
        }
    }

    /// <summary>Sums and counts, checks each key's order, and samples the thread's allocation counter: no allocation itself.</summary>
    private readonly struct TallyHandler(MemberTally tally) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            MemberTally t = tally;
            t.Sum += @event.Value;
            long count = ++t.Count;
            ref long last = ref t.LastValuePerKey[@event.Writer];
            if (@event.Value <= last)
            {
                t.OrderViolations++;
            }

            last = @event.Value;
            if (count == MemberWarmup)
            {
                t.AllocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (endOfBatch && count > MemberWarmup)
            {
                // The last event of the stream ends a batch, so the last sample covers every event after the warm-up.
                t.AllocatedAtLastBatch = GC.GetAllocatedBytesForCurrentThread();
            }
        }
    }
}
