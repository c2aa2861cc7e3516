using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Consumers;

public class ConsumerGroupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions = 3, int capacity = 256) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = capacity });

    private static ConsumerGroupOptions Options(string id, IPartitionAssignor? assignor = null) =>
        new() { GroupId = id, Assignor = assignor ?? new CooperativeStickyAssignor() };

    private static void PublishKeyed(Topic<TestEvent> topic, int count, int keys = 17)
    {
        for (int i = 0; i < count; i++)
        {
            topic.Publish($"key-{i % keys}", new TestEvent(i));
        }
    }

    private static void AssertEveryPartitionExactlyOnceInOrder(Topic<TestEvent> topic, RecordingHandler handler)
    {
        var byPartition = handler.OffsetsByPartition();
        foreach (var partition in topic.Partitions)
        {
            var offsets = byPartition.GetValueOrDefault(partition.Id, []);
            Assert.Equal(Enumerable.Range(0, (int)partition.EndOffset).Select(i => (long)i), offsets);
        }
    }

    [Fact]
    public void Join_OneMember_HandlesEveryEventOfEveryPartitionInOffsetOrder()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Options("g1"));
        var handler = new RecordingHandler(3);
        using var member = group.Join(handler.For("m1"));

        PublishKeyed(topic, 3000);

        Assert.True(handler.WaitForCount(3000, Timeout));
        AssertEveryPartitionExactlyOnceInOrder(topic, handler);
        Assert.Equal([new TopicPartition("orders", 0), new("orders", 1), new("orders", 2)], member.Assignment.OrderBy(p => p.Partition));
        Assert.True(SpinWait.SpinUntil(() => topic.Partitions.All(p => group.GetLag("orders", p.Id) == 0), Timeout));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100_000)]
    public void CoalesceBelow_AnyThreshold_HandlesEveryEventInOffsetOrder(int coalesceBelow)
    {
        // 100,000 exceeds every batch, so every pass after another one pauses; 0 never pauses.
        using var topic = CreateTopic(capacity: 64);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("g1") with { CoalesceBelow = coalesceBelow });
        var handler = new RecordingHandler(3);
        using var member = group.Join(handler.For("m1"));

        PublishKeyed(topic, 5000);

        Assert.True(handler.WaitForCount(5000, Timeout));
        AssertEveryPartitionExactlyOnceInOrder(topic, handler);
    }

    [Fact]
    public void Join_ThreeMembersThreePartitions_EachOwnsOnePartition()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Options("g3"));
        var handler = new RecordingHandler(3);
        var members = Enumerable.Range(0, 3).Select(i => group.Join(handler.For($"m{i}"))).ToList();

        PublishKeyed(topic, 3000);

        Assert.True(handler.WaitForCount(3000, Timeout));
        Assert.All(members, m => Assert.Single(m.Assignment));
        Assert.Equal(3, members.SelectMany(m => m.Assignment).Distinct().Count());
        foreach (var delivery in handler.Deliveries)
        {
            Assert.Equal(delivery.Member, "m" + members.FindIndex(m => m.Assignment[0].Partition == delivery.Partition));
        }

        AssertEveryPartitionExactlyOnceInOrder(topic, handler);
        Assert.Equal(0, handler.Overlaps);
        members.ForEach(m => m.Leave());
    }

    [Fact]
    public void Join_MoreMembersThanPartitions_ExtraMembersStayIdle()
    {
        using var topic = CreateTopic(partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("idle"));
        var handler = new RecordingHandler(2);
        var members = Enumerable.Range(0, 3).Select(i => group.Join(handler.For($"m{i}"))).ToList();

        Assert.Equal(2, members.Count(m => m.Assignment.Count == 1));
        Assert.Single(members, m => m.Assignment.Count == 0);
    }

    [Fact]
    public void FanOut_TwoGroups_EachSeesEveryEvent()
    {
        using var topic = CreateTopic();
        using var inventory = new ConsumerGroup<TestEvent>(topic, Options("inventory"));
        using var shipping = new ConsumerGroup<TestEvent>(topic, Options("shipping", new RangeAssignor()));
        var a = new RecordingHandler(3);
        var b = new RecordingHandler(3);
        inventory.Join(a.For("i1"));
        inventory.Join(a.For("i2"));
        shipping.Join(b.For("s1"));

        PublishKeyed(topic, 5000);

        Assert.True(a.WaitForCount(5000, Timeout));
        Assert.True(b.WaitForCount(5000, Timeout));
        AssertEveryPartitionExactlyOnceInOrder(topic, a);
        AssertEveryPartitionExactlyOnceInOrder(topic, b);
    }

    [Theory]
    [InlineData("cooperative-sticky")]
    [InlineData("range")]
    [InlineData("roundrobin")]
    public void Leave_WhileEventsFlow_PartitionsMoveWithoutLossOrDuplicates(string assignorName)
    {
        IPartitionAssignor assignor = assignorName switch
        {
            "range" => new RangeAssignor(),
            "roundrobin" => new RoundRobinAssignor(),
            _ => new CooperativeStickyAssignor(),
        };
        using var topic = CreateTopic(capacity: 64);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("leave", assignor));
        var handler = new RecordingHandler(3);
        var m0 = group.Join(handler.For("m0"));
        var m1 = group.Join(handler.For("m1"));
        var m2 = group.Join(handler.For("m2"));

        var writer = Task.Run(() => PublishKeyed(topic, 30_000));
        Assert.True(handler.WaitForCount(5_000, Timeout));
        m1.Leave();
        var m3 = group.Join(handler.For("m3"));
        Assert.True(writer.Wait(Timeout));

        Assert.True(handler.WaitForCount(30_000, Timeout));
        Thread.Sleep(50);
        AssertEveryPartitionExactlyOnceInOrder(topic, handler);
        Assert.Equal(0, handler.Overlaps);
        Assert.Equal(MemberState.Running, m0.State);
        Assert.Empty(m1.Assignment);
        Assert.Equal(3, new[] { m0, m2, m3 }.Sum(m => m.Assignment.Count));
    }

    [Fact]
    public void RebalanceListener_PartitionMoves_RevokeOfOldOwnerBeforeAssignOfNewOwner()
    {
        var log = new ConcurrentQueue<string>();
        using var topic = CreateTopic(partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("listener") with { RebalanceListener = new LoggingListener(log) });
        var handler = new RecordingHandler(2);
        var m0 = group.Join(handler.For("a"), memberId: "a");
        var m1 = group.Join(handler.For("b"), memberId: "b");

        var entries = log.ToList();
        int revoke = entries.FindIndex(e => e.StartsWith("revoked a", StringComparison.Ordinal));
        int assign = entries.FindIndex(e => e.StartsWith("assigned b", StringComparison.Ordinal));
        Assert.True(revoke >= 0 && assign > revoke, string.Join(" | ", entries));
        Assert.Single(m0.Assignment);
        Assert.Single(m1.Assignment);
    }

    [Fact]
    public void HandlerThrows_MemberFaultsAndSurvivorResumesFromFailingEvent()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("fault"));
        var bad = new RecordingHandler(1) { ThrowWhen = (e, _, _) => e.Value == 50 };
        var good = new RecordingHandler(1);
        var failing = group.Join(bad.For("bad"), memberId: "a-bad");
        for (int i = 0; i < 100; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => failing.State == MemberState.Faulted, Timeout));
        var survivor = group.Join(good.For("good"), memberId: "b-good");

        Assert.True(good.WaitForCount(50, Timeout));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), bad.Deliveries.Select(d => d.Offset));
        Assert.Equal(Enumerable.Range(50, 50).Select(i => (long)i), good.Deliveries.Select(d => d.Offset));
        Assert.IsType<InvalidOperationException>(failing.Fault);
        Assert.Equal(100, group.GetCommittedOffset("orders", 0));
    }

    [Fact]
    public void ManualCommit_UncommittedEventsAreRedeliveredAfterRebalance()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("manual") with { CommitMode = CommitMode.Manual });
        var first = new ManualCommitter(group, commitBelow: 10);
        var m0 = group.Join(first);
        for (int i = 0; i < 20; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => first.Seen.Count == 20, Timeout));
        Assert.Equal(10, group.GetCommittedOffset("orders", 0));
        Assert.Equal(10, group.GetLag("orders", 0));
        m0.Leave();
        var second = new ManualCommitter(group, commitBelow: long.MaxValue);
        group.Join(second);

        Assert.True(SpinWait.SpinUntil(() => second.Seen.Count == 10, Timeout));
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), second.Seen);
        Assert.Equal(20, group.GetCommittedOffset("orders", 0));
    }

    [Fact]
    public void Commit_FromAnotherThread_ThrowsNamingTheRule()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("manual2") with { CommitMode = CommitMode.Manual });

        var error = Assert.Throws<InvalidOperationException>(() => group.Commit("orders", 0, 0));
        Assert.Contains("must run on the thread of the member that owns it", error.Message);
    }

    [Fact]
    public void Seek_Backwards_OwnerRereadsFromThere()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("seek"));
        using var holder = topic.CreateReader(0);
        var handler = new RecordingHandler(1);
        group.Join(handler.For("m"));
        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(handler.WaitForCount(10, Timeout));
        group.Seek("orders", 0, 4);

        Assert.True(handler.WaitForCount(16, Timeout));
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(4, 6)).Select(i => (long)i), handler.Deliveries.Select(d => d.Offset));
    }

    [Fact]
    public void Seek_OutsideRetainedWindow_Throws()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("seek2"));
        topic.PublishTo(0, new TestEvent(1));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => group.Seek("orders", 0, 5));
        Assert.Contains("retained window [0, 1]", error.Message);
    }

    /// <summary>
    /// A group added while the writer runs starts at the oldest retained offset, the first group's committed offset, and
    /// gets every event from there. The first group's handler holds at offset 999 until the late group is registered, so
    /// the writer is still running then (gated by the 1,024-slot ring): without the hold, a test thread descheduled long
    /// enough let the writer and the first group finish first, and the late group rightly started at the end with
    /// nothing to read (see the next test).
    /// </summary>
    [Fact]
    public void Group_AddedWhileWriterRuns_EarliestSeesEverythingRetainedFromItsStart()
    {
        using var topic = CreateTopic(partitions: 1, capacity: 1024);
        using var first = new ConsumerGroup<TestEvent>(topic, Options("first"));
        using var hold = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        first.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 999)
            {
                holding.Set();
                hold.Wait();
            }
        }), "a");
        var writer = Task.Run(() => PublishKeyed(topic, 50_000));
        Assert.True(holding.Wait(Timeout));
        long expectedStart = first.GetCommittedOffset("orders", 0);

        using var late = new ConsumerGroup<TestEvent>(topic, Options("late"));
        Assert.False(writer.IsCompleted, "the writer is gated by the held first group");
        hold.Set();
        var b = new RecordingHandler(1);
        late.Join(b.For("b"));
        Assert.True(writer.Wait(Timeout));

        Assert.True(b.WaitForCount(50_000 - expectedStart, Timeout), $"the late group got {b.Deliveries.Count} events from {expectedStart}");
        Assert.Equal(Enumerable.Range((int)expectedStart, 50_000 - (int)expectedStart).Select(i => (long)i), b.Deliveries.Select(d => d.Offset));
    }

    /// <summary>
    /// Earliest is the slowest lossless reader's position (README, "Where a group starts"): a group added after the only
    /// other group committed everything starts at the end, although the ring's slots still hold the last events.
    /// </summary>
    [Fact]
    public void Group_AddedAfterTheOtherGroupCommittedEverything_EarliestStartsAtTheEnd()
    {
        using var topic = CreateTopic(partitions: 1, capacity: 64);
        using var first = new ConsumerGroup<TestEvent>(topic, Options("first"));
        var a = new RecordingHandler(1);
        first.Join(a.For("a"));
        PublishKeyed(topic, 200);
        Assert.True(SpinWait.SpinUntil(() => first.GetCommittedOffset("orders", 0) == 200, Timeout));

        using var late = new ConsumerGroup<TestEvent>(topic, Options("late"));
        Assert.Equal(200, late.GetCommittedOffset("orders", 0));
        var b = new RecordingHandler(1);
        late.Join(b.For("b"));
        topic.PublishTo(0, new TestEvent(200));

        Assert.True(SpinWait.SpinUntil(() => late.GetCommittedOffset("orders", 0) == 201, Timeout));
        Assert.Equal([200L], b.Deliveries.Select(d => d.Offset));
    }

    [Fact]
    public void BatchAndAsyncHandlers_ReceiveEveryEventInOrder()
    {
        using var topic = CreateTopic(partitions: 2);
        using var batchGroup = new ConsumerGroup<TestEvent>(topic, Options("batch"));
        using var asyncGroup = new ConsumerGroup<TestEvent>(topic, Options("async"));
        var batch = new BatchRecorder();
        var async = new AsyncRecorder();
        batchGroup.JoinBatch(batch);
        asyncGroup.Join(async);

        PublishKeyed(topic, 2000);

        Assert.True(SpinWait.SpinUntil(() => batch.Offsets.Count == 2000 && async.Offsets.Count == 2000, Timeout));
        foreach (var recorder in new[] { batch.Offsets, async.Offsets })
        {
            foreach (var partition in topic.Partitions)
            {
                Assert.Equal(
                    Enumerable.Range(0, (int)partition.EndOffset).Select(i => (long)i),
                    recorder.Where(o => o.Partition == partition.Id).Select(o => o.Offset));
            }
        }
    }

    [Fact]
    public void Cores_MemberPinned_HandlerRunsOnThatCpu()
    {
        using var topic = CreateTopic(partitions: 1);
        int core = Environment.ProcessorCount - 1;
        using var group = new ConsumerGroup<TestEvent>(topic, Options("pinned") with { Cores = [core] });
        var cpus = new ConcurrentBag<int>();
        var member = group.Join(new CpuRecorder(cpus));

        for (int i = 0; i < 200; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => cpus.Count == 200, Timeout));
        Assert.Equal(core, member.PinnedCpu);
        Assert.Null(member.PinningError);
        Assert.All(cpus, cpu => Assert.Equal(core, cpu));
    }

    [Fact]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        using var topic = CreateTopic();

        Assert.Contains("GroupId must not be null or empty", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "" })).Message);
        Assert.Contains("MaxBatchSize must be at least 1, was 0", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, Options("x") with { MaxBatchSize = 0 })).Message);
        Assert.Contains("CoalesceBelow must be at least 0, was -1", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, Options("x") with { CoalesceBelow = -1 })).Message);
        Assert.Contains("Cores must list cores from 0", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, Options("x") with { Cores = [999] })).Message);
    }

    private sealed class LoggingListener(ConcurrentQueue<string> log) : IRebalanceListener
    {
        public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions) => log.Enqueue($"assigned {memberId} {string.Join(',', partitions)}");

        public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions) => log.Enqueue($"revoked {memberId} {string.Join(',', partitions)}");

        public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions) => log.Enqueue($"lost {memberId}");
    }

    private sealed class ManualCommitter(ConsumerGroup<TestEvent> group, long commitBelow) : IEventHandler<TestEvent>
    {
        public ConcurrentQueue<long> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Seen.Enqueue(offset);
            if (offset < commitBelow)
            {
                group.Commit("orders", partition, offset + 1);
            }
        }
    }

    private sealed class BatchRecorder : IBatchHandler<TestEvent>
    {
        public ConcurrentQueue<(int Partition, long Offset)> Offsets { get; } = new();

        public void OnBatch(ReadOnlySpan<TestEvent> events, int partition, long firstOffset)
        {
            for (int i = 0; i < events.Length; i++)
            {
                Offsets.Enqueue((partition, firstOffset + i));
            }
        }
    }

    private sealed class AsyncRecorder : IAsyncEventHandler<TestEvent>
    {
        public ConcurrentQueue<(int Partition, long Offset)> Offsets { get; } = new();

        public async ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            if (offset % 100 == 0)
            {
                await Task.Yield();
            }

            Offsets.Enqueue((partition, offset));
        }
    }

    private sealed class CpuRecorder(ConcurrentBag<int> cpus) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) => cpus.Add(CpuAffinity.GetCurrentCpu());
    }
}
