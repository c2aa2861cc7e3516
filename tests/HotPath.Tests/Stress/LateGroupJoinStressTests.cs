using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// A group joins while keyed writers run on a small ring gated by a first group, over and over: the scenario of
/// <c>ConsumerGroupTests.Group_AddedWhileWriterRuns_EarliestSeesEverythingRetainedFromItsStart</c> with its parameters
/// drawn at random (capacity 2 to 1,024, one or two writers in either publish mode, blocking waits that park after 0 to
/// 64 spins, the late group at Earliest or Latest with one or two members, joining after a random number of events).
/// The writers' and readers' 200 ms park backstops are turned off, so a lost wake-up hangs a round instead of costing
/// 200 ms, and the round fails naming where each side stood. Checks per round: every writer finishes, the first group
/// gets every event once in each writer's order, the late group gets every offset from its start to the end once.
/// Runs about 5 s by default (CI); set HOTPATH_STRESS_SECONDS for a longer run.
/// </summary>
public class LateGroupJoinStressTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    [Fact]
    public void GroupJoinsWhileWritersParkOnAFullRing_NoLostWakeUp_EveryOffsetOnce()
    {
        output.WriteLine(StressRounds.Run(defaultSeconds: 5, seed: 2718, RunRound));
    }

    private static long RunRound(int seed, int round)
    {
        var random = new Random(seed);
        int capacity = 1 << random.Next(1, 11);
        int writers = random.Next(1, 3);
        PublishMode mode = writers == 1 && random.Next(2) == 0 ? PublishMode.SingleWriter : PublishMode.MultiWriter;
        int perWriter = random.Next(1, 20_000);
        long total = (long)writers * perWriter;
        long joinAfter = random.NextInt64(0, total + 1);
        bool earliest = random.Next(3) != 0;
        int lateMembers = random.Next(1, 3);
        WaitStrategy wait = WaitStrategy.CreateBlocking(random.Next(0, 65), random.Next(0, 9));
        string what = $"round {round} (seed {seed}: capacity {capacity}, {writers} writer(s) {mode}, {perWriter} each, "
            + $"late group at {(earliest ? "Earliest" : "Latest")} with {lateMembers} member(s) after {joinAfter} events, {wait.Name})";

        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "late-join", Capacity = capacity, PublishMode = mode, WaitStrategy = wait });
        topic[0].WriterParkBackstopMilliseconds = Timeout.Infinite;
        using ConsumerGroup<TestEvent> first = CreateGroup(topic, "first", OffsetReset.Earliest, wait);
        var firstSeen = new OrderCheck(writers);
        first.Join(firstSeen, "a");

        Exception? failure = null;
        Thread[] threads = [.. Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < perWriter; i++)
                {
                    topic.Publish($"key-{i % 17}", new TestEvent(i, w));
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }) { IsBackground = true, Name = $"late-join writer {w}" })];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        AwaitOrFail(() => firstSeen.Count >= joinAfter, () => $"{what}: the first group saw {firstSeen.Count} of the {joinAfter} events before the join; {State(topic)}");
        using ConsumerGroup<TestEvent> late = CreateGroup(topic, "late", earliest ? OffsetReset.Earliest : OffsetReset.Latest, wait);
        var lateSeen = new OffsetCheck();
        for (int m = 0; m < lateMembers; m++)
        {
            late.Join(lateSeen, $"b{m}");
        }

        foreach (Thread thread in threads)
        {
            AwaitOrFail(() => !thread.IsAlive, () => $"{what}: a writer did not finish (a lost wake-up?); first group {firstSeen.Count}, late group {lateSeen.Count}; {State(topic)}");
        }

        Assert.True(failure is null, $"{what}: a writer failed: {failure}");
        AwaitOrFail(() => firstSeen.Count >= total, () => $"{what}: the first group saw {firstSeen.Count} of {total}; {State(topic)}");
        AwaitOrFail(() => late.GetCommittedOffset("late-join", 0) == total, () => $"{what}: the late group committed {late.GetCommittedOffset("late-join", 0)} of {total}, last offset seen {lateSeen.Last}; {State(topic)}");
        Assert.True(firstSeen.Error is null, $"{what}: first group: {firstSeen.Error}");
        Assert.True(lateSeen.Error is null, $"{what}: late group: {lateSeen.Error}");
        Assert.Equal(total, firstSeen.Count);
        if (lateSeen.Count > 0)
        {
            // Every offset from the late group's first one to the end, each once (OffsetCheck: no gap, no repeat).
            Assert.Equal(total - 1, lateSeen.Last);
            Assert.Equal(total - lateSeen.First, lateSeen.Count);
        }

        return total;
    }

    private static ConsumerGroup<TestEvent> CreateGroup(Topic<TestEvent> topic, string id, OffsetReset reset, WaitStrategy wait) =>
        new(topic, new ConsumerGroupOptions { GroupId = id, AutoOffsetReset = reset, WaitStrategy = wait })
        {
            ReaderParkBackstopMilliseconds = Timeout.Infinite,
        };

    private static void AwaitOrFail(Func<bool> done, Func<string> why)
    {
        if (!SpinWait.SpinUntil(done, Hang))
        {
            Assert.Fail(why());
        }
    }

    private static string State(Topic<TestEvent> topic) =>
        $"partition end {topic[0].EndOffset}, writer bias {(topic[0].IsWriterBiased ? "held" : "none/shared")}";

    /// <summary>The first group's check: every event once, in each writer's order, offsets only growing.</summary>
    private sealed class OrderCheck(int writers) : IEventHandler<TestEvent>
    {
        private readonly long[] _next = new long[writers];
        private long _lastOffset = -1;
        private long _count;

        public long Count => Volatile.Read(ref _count);

        public string? Error { get; private set; }

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (offset != _lastOffset + 1)
            {
                Error ??= $"offset {offset} after {_lastOffset}";
            }

            if ((uint)@event.Writer >= (uint)_next.Length || @event.Value != _next[@event.Writer])
            {
                Error ??= $"offset {offset}: writer {@event.Writer}'s event {@event.Value}, out of its order";
            }
            else
            {
                _next[@event.Writer]++;
            }

            _lastOffset = offset;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>The late group's check (shared by its members; one partition, so one member at a time): offsets contiguous.</summary>
    private sealed class OffsetCheck : IEventHandler<TestEvent>
    {
        private long _count;
        private long _last = -1;

        public long First { get; private set; } = -1;

        public long Last => Volatile.Read(ref _last);

        public long Count => Volatile.Read(ref _count);

        public string? Error { get; private set; }

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (First < 0)
            {
                First = offset;
            }
            else if (offset != _last + 1)
            {
                Error ??= $"offset {offset} after {_last}";
            }

            Volatile.Write(ref _last, offset);
            Volatile.Write(ref _count, _count + 1);
        }
    }
}
