using System.Diagnostics.Metrics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Durability;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>Retention of a durable topic's journal: whole segments, only below what every durable group still needs.</summary>
public sealed class DurableRetentionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private TopicOptions Options(long? retentionBytes) => new()
    {
        Name = "ticks",
        Capacity = 64,
        Durability = new DurabilityOptions { Directory = _directory.Path, SegmentBytes = 4096, RetentionBytes = retentionBytes },
    };

    [Fact]
    public void Retention_EveryGroupCommittedPast_DeletesWholeSegmentsAndReportsTheStartInMetrics()
    {
        using var topic = new Topic<TestEvent>(Options(retentionBytes: 8192));
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "reader" });
        group.Join(new ActionHandler((_, _, _, _) => { }));
        for (int i = 0; i < 3000; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("ticks", 0) == 3000, Timeout));
        // 3,000 events of 16 bytes are about 12 segments of 4 KiB; retention keeps about 8 KiB.
        Assert.True(SpinWait.SpinUntil(() => topic[0].StartOffset > 2000, Timeout), $"start {topic[0].StartOffset}");
        long start = topic[0].StartOffset;
        Dictionary<string, long> gauges = JournalGauges();
        Assert.Equal(start, gauges["hotpath.journal.start_offset"]);
        Assert.InRange(gauges["hotpath.journal.size"], 1, 8192 + 4096);
        Assert.Equal(0, gauges["hotpath.journal.unacknowledged"]);

        // A group that starts now begins at the retained start, not at 0.
        using var late = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "late" });
        Assert.Equal(start, late.GetCommittedOffset("ticks", 0));
    }

    [Fact]
    public void Retention_GroupThatLeftWithAStoredOffset_KeepsTheSegmentsItStillNeeds()
    {
        using var topic = new Topic<TestEvent>(Options(retentionBytes: 4096));
        using (var slow = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "slow" }))
        {
            slow.Join(new ActionHandler((_, _, _, _) => { }));
            for (int i = 0; i < 100; i++)
            {
                topic.PublishTo(0, new TestEvent(i));
            }

            Assert.True(SpinWait.SpinUntil(() => slow.GetCommittedOffset("ticks", 0) == 100, Timeout));
        }

        using var fast = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "fast" });
        fast.Join(new ActionHandler((_, _, _, _) => { }));
        for (int i = 100; i < 3000; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => fast.GetCommittedOffset("ticks", 0) == 3000, Timeout));
        // Two retention checks (one a second) pass with the journal far above its limit: "slow" still holds offset 100.
        Thread.Sleep(2500);
        Assert.InRange(topic[0].StartOffset, 0, 100);
        using var again = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "slow" });
        Assert.Equal(100, again.GetCommittedOffset("ticks", 0));
    }

    private static Dictionary<string, long> JournalGauges()
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HotPathMetrics.MeterName && instrument.Name.StartsWith("hotpath.journal.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "messaging.destination.name" && (string?)tag.Value == "ticks")
                {
                    seen[instrument.Name] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
