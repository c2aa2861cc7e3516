using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

public class FailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions = 1, int capacity = 256, string name = "orders") =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = capacity });

    private static void Publish(Topic<TestEvent> topic, int count, int partition = 0)
    {
        for (int i = 0; i < count; i++)
        {
            topic.PublishTo(partition, new TestEvent(i));
        }
    }

    [Fact]
    public void ErrorPolicy_TransientFailure_RetriedThenHandledInOrder()
    {
        using var topic = CreateTopic();
        int failuresLeft = 2;
        var errors = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "retry",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 3, OnError = errors.Enqueue },
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (e, _, _) => e.Value == 5 && Interlocked.Decrement(ref failuresLeft) >= 0 };
        group.Join(handler.For("m"));

        Publish(topic, 10);

        Assert.True(handler.WaitForCount(10, Timeout));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), handler.Deliveries.Select(d => d.Offset));
        Assert.Equal([1, 2], errors.Select(e => e.Attempts));
        Assert.All(errors, e => Assert.Equal(5, e.Offset));
        var stats = Assert.Single(group.GetStats());
        Assert.Equal(2, stats.Retried);
        Assert.Equal(0, stats.Skipped);
    }

    [Fact]
    public void ErrorPolicy_PermanentFailureWithSkip_SkipsCountsAndReports()
    {
        using var topic = CreateTopic();
        var skipped = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "skip",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, AfterRetries = ErrorAction.Skip, OnSkipped = skipped.Enqueue },
        });
        var handler = new RecordingHandler(1) { ThrowWhen = (e, _, _) => e.Value is 3 or 7 };
        var member = group.Join(handler.For("m"));

        Publish(topic, 10);

        Assert.True(handler.WaitForCount(8, Timeout));
        Assert.True(SpinWait.SpinUntil(() => group.GetLag("orders", 0) == 0, Timeout));
        Assert.Equal(new long[] { 0, 1, 2, 4, 5, 6, 8, 9 }, handler.Deliveries.Select(d => d.Offset));
        Assert.Equal([3L, 7L], skipped.Select(s => s.Offset));
        Assert.All(skipped, s => Assert.Equal(2, s.Attempts));
        var stats = Assert.Single(group.GetStats());
        Assert.Equal(2, stats.Skipped);
        Assert.Equal(2, stats.Retried);
        Assert.Equal(MemberState.Running, member.State);
    }

    [Fact]
    public void ErrorPolicy_DeadLetter_PublishesEventOriginExceptionAndAttempts()
    {
        using var topic = CreateTopic(partitions: 2);
        using var deadLetters = new Topic<DeadLetter<TestEvent>>(new TopicOptions { Name = "orders.dlq", Capacity = 64 });
        using var dlqReader = deadLetters.CreateReader(0);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "dlq",
            ErrorPolicy = ErrorPolicy.DeadLetterTo(deadLetters, maxAttempts: 3),
        });
        var handler = new RecordingHandler(2) { ThrowWhen = (e, p, _) => p == 1 && e.Value == 4 };
        group.Join(handler.For("m"));

        Publish(topic, 6, partition: 0);
        Publish(topic, 6, partition: 1);

        Assert.True(handler.WaitForCount(11, Timeout));
        Assert.True(SpinWait.SpinUntil(() => dlqReader.Lag == 1, Timeout));
        Assert.True(dlqReader.TryRead(out var letter, out _));
        Assert.Equal(4, letter.Event.Value);
        Assert.Equal(("orders", 1, 4L, "dlq", 3), (letter.Topic, letter.Partition, letter.Offset, letter.GroupId, letter.Attempts));
        Assert.Contains("handler failure at 1/4", letter.Error.Message);
        Assert.Equal(1, group.GetStats().Single(s => s.Partition.Partition == 1).DeadLettered);
        Assert.DoesNotContain(handler.Deliveries, d => d.Partition == 1 && d.Offset == 4);
    }

    [Fact]
    public void ErrorPolicy_DeadLetterWithoutTopic_ThrowsAtConstruction()
    {
        using var topic = CreateTopic();

        var error = Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "bad",
            ErrorPolicy = new ErrorPolicy { AfterRetries = ErrorAction.DeadLetter },
        }));
        Assert.Contains("DeadLetterTopic must be a Topic<DeadLetter<TestEvent>> when AfterRetries is DeadLetter, was null", error.Message);
    }

    [Fact]
    public void StuckMember_PastSessionTimeout_IsFencedAndSurvivorResumesFromCommitted()
    {
        using var topic = CreateTopic(partitions: 1);
        using var release = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "stuck",
            SessionTimeout = TimeSpan.FromMilliseconds(200),
            MaxBatchSize = 4,
        });
        var stuckSeen = new ConcurrentQueue<long>();
        var stuck = group.Join(new HangingHandler(stuckSeen, hangAt: 6, release), memberId: "a");
        var survivorHandler = new RecordingHandler(1);
        var survivor = group.Join(survivorHandler.For("b"), memberId: "b");
        Assert.Equal("a", group.GetOwner("orders", 0));

        Publish(topic, 20);

        Assert.True(SpinWait.SpinUntil(() => stuck.State == MemberState.Failed, Timeout), "the stuck member is declared failed");
        Assert.True(SpinWait.SpinUntil(() => survivorHandler.Deliveries.Any(d => d.Offset == 19), Timeout));
        Assert.Equal("b", group.GetOwner("orders", 0));
        release.Set();
        Thread.Sleep(100);

        // The survivor resumes at the stuck member's last commit: never after the hung event 6 (nothing skipped),
        // and at most one batch (MaxBatchSize 4) before it (the documented at-least-once window).
        long resumedAt = survivorHandler.Deliveries.First().Offset;
        Assert.InRange(resumedAt, 6 - 4 + 1, 6);
        Assert.Equal(Enumerable.Range((int)resumedAt, 20 - (int)resumedAt).Select(i => (long)i), survivorHandler.Deliveries.Select(d => d.Offset));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), stuckSeen);
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 20, Timeout));
        Assert.Equal(MemberState.Running, survivor.State);
        Assert.Equal(MemberState.Failed, stuck.State);
    }

    [Fact]
    public void LossyGroup_WriterLapsIt_NeverGatesNeverTearsAndCountsLossExactly()
    {
        using var topic = new Topic<WideEvent>(new TopicOptions { Name = "metrics", Capacity = 64 });
        using var group = new ConsumerGroup<WideEvent>(topic, new ConsumerGroupOptions { GroupId = "analytics", Lossy = true, MaxBatchSize = 16 });
        var handler = new SlowWideHandler();
        group.Join(handler);
        const int events = 200_000;

        for (int i = 0; i < events; i++)
        {
            Assert.True(topic[0].TryPublish(new WideEvent(i), out _), "a lossy group never gates the writer");
        }

        var stats = () => group.GetStats().Single();
        Assert.True(SpinWait.SpinUntil(() => handler.Count + stats().Lost == events, Timeout), $"handled {handler.Count} + lost {stats().Lost} = {events}");
        Assert.Equal(0, handler.Torn);
        Assert.Equal(0, handler.OutOfOrder);
        Assert.True(stats().Lost > 0, "the writer lapped the slow group");
    }

    [Fact]
    public async Task CompleteAsync_GroupsDrainThenMembersEnd()
    {
        using var topic = CreateTopic(partitions: 3);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "drain" });
        var handler = new RecordingHandler(3);
        var members = new[] { group.Join(handler.For("a")), group.Join(handler.For("b")) };
        for (int i = 0; i < 3000; i++)
        {
            topic.Publish($"k{i % 11}", new TestEvent(i));
        }

        await topic.CompleteAsync().WaitAsync(Timeout);
        await group.Completion.WaitAsync(Timeout);

        Assert.Equal(3000, handler.Deliveries.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(p.EndOffset, group.GetCommittedOffset("orders", p.Id)));
        Assert.Throws<InvalidOperationException>(() => topic.Publish("k", new TestEvent(1)));
        Assert.Empty(group.Members);
        Assert.All(members, m => Assert.Empty(m.Assignment));
    }

    [Fact]
    public void Dispose_HandlerBlocked_ReturnsWithinShutdownTimeout()
    {
        using var topic = CreateTopic();
        using var release = new ManualResetEventSlim();
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "blocked", ShutdownTimeout = TimeSpan.FromMilliseconds(200) });
        var seen = new ConcurrentQueue<long>();
        group.Join(new HangingHandler(seen, hangAt: 0, release));
        Publish(topic, 5);
        Assert.True(SpinWait.SpinUntil(() => !seen.IsEmpty, Timeout));

        var started = System.Diagnostics.Stopwatch.StartNew();
        group.Dispose();
        group.Dispose();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {started.Elapsed}");
        release.Set();
        Assert.True(topic[0].TryPublish(new TestEvent(1), out _), "the disposed group no longer gates the writer");
    }

    [Fact]
    public void Dispose_Immediate_CommittedOffsetsStayValid()
    {
        using var topic = CreateTopic(capacity: 1024);
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "stop", MaxBatchSize = 8 });
        var handler = new RecordingHandler(1) { DelayMicroseconds = 200 };
        group.Join(handler.For("m"));
        Publish(topic, 500);
        Assert.True(handler.WaitForCount(20, Timeout));

        group.Dispose();
        long committed = group.GetCommittedOffset("orders", 0);

        Assert.Equal(handler.Deliveries.Count, committed);
        Assert.True(committed < 500, "stopped before draining");
    }

    [Fact]
    public void Metrics_HotPathMeter_ReportsSentConsumedAndLagWithMessagingTags()
    {
        using var topic = CreateTopic(partitions: 2, name: "metered");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "metered-group" });
        var handler = new RecordingHandler(2);
        group.Join(handler.For("m"));
        Publish(topic, 10, partition: 0);
        Publish(topic, 5, partition: 1);
        Assert.True(handler.WaitForCount(15, Timeout));
        Assert.True(SpinWait.SpinUntil(() => group.GetLag("metered", 0) == 0 && group.GetLag("metered", 1) == 0, Timeout));

        var seen = new ConcurrentBag<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HotPathMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            seen.Add((instrument.Name, value, map));
        });
        listener.Start();
        listener.RecordObservableInstruments();

        bool Has(string name, long value, string partition, string? groupName) => seen.Any(m =>
            m.Instrument == name && m.Value == value
            && Equals(m.Tags.GetValueOrDefault("messaging.destination.name"), "metered")
            && Equals(m.Tags.GetValueOrDefault("messaging.destination.partition.id"), partition)
            && (groupName is null || Equals(m.Tags.GetValueOrDefault("messaging.consumer.group.name"), groupName)));
        Assert.True(Has("messaging.client.sent.messages", 10, "0", null));
        Assert.True(Has("messaging.client.sent.messages", 5, "1", null));
        Assert.True(Has("messaging.client.consumed.messages", 10, "0", "metered-group"));
        Assert.True(Has("hotpath.consumer.lag", 0, "1", "metered-group"));
    }

    /// <summary>Blocks inside the handler at one offset until released; records what it saw.</summary>
    private sealed class HangingHandler(ConcurrentQueue<long> seen, long hangAt, ManualResetEventSlim release) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            seen.Enqueue(offset);
            if (offset == hangAt)
            {
                release.Wait();
            }
        }
    }

    /// <summary>A 64-byte event whose words must all agree: a torn read shows up as a mismatch.</summary>
    public readonly struct WideEvent
    {
        public readonly long A, B, C, D, E, F, G, H;

        public WideEvent(long value) => A = B = C = D = E = F = G = H = value;

        public bool IsIntact => A == B && B == C && C == D && D == E && E == F && F == G && G == H;
    }

    private sealed class SlowWideHandler : IEventHandler<WideEvent>
    {
        private long _count;
        private long _last = -1;

        public long Count => Volatile.Read(ref _count);

        public long Torn { get; private set; }

        public long OutOfOrder { get; private set; }

        public void OnEvent(ref readonly WideEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (!@event.IsIntact || @event.A != offset)
            {
                Torn++;
            }

            if (offset <= _last)
            {
                OutOfOrder++;
            }

            _last = offset;
            Thread.SpinWait(200);
            Volatile.Write(ref _count, _count + 1);
        }
    }
}
