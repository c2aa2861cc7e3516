using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>What a group reports about itself: its stats snapshot, its metrics, and the misuse it refuses.</summary>
public sealed class GroupStatsAndMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static Topic<TestEvent> CreateTopic(string name, int partitions = 1) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 64 });

    private static void Publish(Topic<TestEvent> topic, int count, int partition = 0)
    {
        for (int i = 0; i < count; i++)
        {
            topic.PublishTo(partition, new TestEvent(i));
        }
    }

    /// <summary>The stats' lag is the end offset minus the committed offset, as <see cref="ConsumerGroup{T}.GetLag"/> says.</summary>
    [Fact]
    public void GetStats_CommittedBehindEnd_LagIsEndMinusCommitted()
    {
        using var topic = CreateTopic("stats-lag");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "stats" });
        Publish(topic, 5);

        // No owner: the seek applies at once and moves the committed offset.
        group.Seek("stats-lag", 0, 2);

        PartitionStats stats = Assert.Single(group.GetStats());
        Assert.Equal(2, stats.Committed);
        Assert.Equal(5, stats.EndOffset);
        Assert.Equal(3, stats.Lag);
        Assert.Equal(group.GetLag("stats-lag", 0), stats.Lag);
    }

    /// <summary>
    /// The group's instruments: consumed counts carry <c>messaging.system=hotpath</c>, the rebalance counter is tagged
    /// with the group and equals <see cref="ConsumerGroup{T}.RebalanceCount"/>, and the group adds nothing to the
    /// topic-level sent counter.
    /// </summary>
    [Fact]
    public void Metrics_GroupWithMember_ReportsTaggedConsumedAndRebalancesButNoSentCount()
    {
        using var topic = CreateTopic("metrics-tags");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "metrics-tags-group" });
        group.Join(new ActionHandler((_, _, _, _) => { }));
        Publish(topic, 3);
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("metrics-tags", 0) == 3, Timeout));

        List<Measured> mine = [.. RecordAll().Where(m => m.GroupName == "metrics-tags-group")];

        Measured consumed = Assert.Single(mine, m => m.Instrument == "messaging.client.consumed.messages");
        Assert.Equal(3, consumed.Value);
        Assert.Equal("hotpath", consumed.Tags.GetValueOrDefault("messaging.system"));
        Measured rebalances = Assert.Single(mine, m => m.Instrument == "hotpath.consumer.rebalances");
        Assert.Equal(group.RebalanceCount, rebalances.Value);
        Assert.DoesNotContain(mine, m => m.Instrument == "messaging.client.sent.messages");
    }

    /// <summary>A disposed group is no longer reported by any instrument.</summary>
    [Fact]
    public void Metrics_DisposedGroup_NoLongerReported()
    {
        using var topic = CreateTopic("metrics-disposed");
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "metrics-disposed-group" });
        group.Join(new ActionHandler((_, _, _, _) => { }));
        Assert.Contains(RecordAll(), m => m.GroupName == "metrics-disposed-group");

        group.Dispose();

        Assert.DoesNotContain(RecordAll(), m => m.GroupName == "metrics-disposed-group");
    }

    /// <summary>
    /// A seek from the owner's own handler would wait for the owner to reach a safe point, which it never does while it
    /// waits: it is refused at once, naming the partition and the fix.
    /// </summary>
    [Fact]
    public void Seek_FromTheOwnersHandler_ThrowsAtOnceNamingPartitionAndFix()
    {
        using var topic = CreateTopic("seek-self");
        using var done = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "seek-self", RebalanceTimeout = TimeSpan.FromSeconds(5) });
        Exception? seen = null;
        group.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 0)
            {
                seen = Record.Exception(() => group.Seek("seek-self", 0, 0));
                done.Set();
            }
        }));

        Publish(topic, 1);

        Assert.True(done.Wait(Timeout), "the handler's seek returned");
        var ex = Assert.IsType<InvalidOperationException>(seen);
        Assert.Contains(new TopicPartition("seek-self", 0).ToString(), ex.Message);
        Assert.Contains("deadlock", ex.Message);
        Assert.Contains("another thread", ex.Message);
    }

    private static List<Measured> RecordAll()
    {
        var seen = new ConcurrentQueue<Measured>();
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
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            seen.Enqueue(new Measured(instrument.Name, value, map));
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return [.. seen];
    }

    /// <summary>One measurement of an observable instrument, with its tags.</summary>
    private sealed record Measured(string Instrument, long Value, Dictionary<string, object?> Tags)
    {
        public string? GroupName => Tags.GetValueOrDefault("messaging.consumer.group.name") as string;
    }
}
