using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// Gaps (abandoned multi-writer claims) are skipped by every reader that can still reach them: readers created after
/// the gaps, lossy groups, and lossless groups alike. A handler never receives the <c>default(T)</c> of a gap.
/// </summary>
public class GapRetentionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int capacity = 8) =>
        new(new TopicOptions { Name = "gaps", Capacity = capacity, PublishMode = PublishMode.MultiWriter });

    /// <summary>Offsets 0 and 2 abandoned, 1 and 3 published with value 100 + offset.</summary>
    private static void PublishTwoGaps(Partition<TestEvent> partition)
    {
        for (int offset = 0; offset < 4; offset++)
        {
            var claim = partition.Claim();
            Assert.Equal(offset, claim.Offset);
            claim.Event = new TestEvent(100 + offset);
            if (offset % 2 == 1)
            {
                claim.Publish();
            }
            else
            {
                claim.Dispose();
            }
        }

        Assert.Equal(4, partition.EndOffset);
    }

    private sealed class Collector : IEventHandler<TestEvent>
    {
        public ConcurrentQueue<(long Offset, long Value)> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) =>
            Seen.Enqueue((offset, @event.Value));
    }

    [Fact]
    public void CreateReader_AfterTwoAbandonedClaimsWithoutReaders_SkipsBothGaps()
    {
        using var topic = CreateTopic();
        PublishTwoGaps(topic[0]);

        using var reader = topic.CreateReader(0);
        var seen = new List<(long Offset, long Value)>();
        while (reader.TryRead(out TestEvent @event, out long offset))
        {
            seen.Add((offset, @event.Value));
        }

        Assert.Equal([(1, 101), (3, 103)], seen);
        Assert.Equal(4, reader.CommittedOffset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConsumerGroup_CreatedAfterTwoAbandonedClaims_HandlesOnlyPublishedEvents(bool lossy)
    {
        using var topic = CreateTopic();
        PublishTwoGaps(topic[0]);

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "late", Lossy = lossy });
        var handler = new Collector();
        group.Join(handler);
        // A marker after the gaps: once it is handled, everything before it was handled or skipped.
        topic[0].Publish(new TestEvent(104));

        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Any(s => s.Offset == 4), Timeout), "the marker was handled");
        Assert.Equal([(1, 101), (3, 103), (4, 104)], handler.Seen);
        Assert.Equal(0, group.GetStats().Single().Lost);
    }

    [Fact]
    public void LossyGroup_JoinedBeforeGapsAndReadingLate_NeverHandlesAGap()
    {
        using var topic = CreateTopic();
        // The group exists (its cursor at 0) before the gaps, but its member starts reading only after both.
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "lossy", Lossy = true });
        PublishTwoGaps(topic[0]);
        var handler = new Collector();
        group.Join(handler);
        topic[0].Publish(new TestEvent(104));

        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Any(s => s.Offset == 4), Timeout), "the marker was handled");
        Assert.Equal([(1, 101), (3, 103), (4, 104)], handler.Seen);
    }

    [Fact]
    public void LossyGroup_GapsOverwrittenByNextLap_CountsThemLostNeverHandlesThem()
    {
        using var topic = CreateTopic(capacity: 4);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "lossy", Lossy = true });
        Partition<TestEvent> partition = topic[0];
        PublishTwoGaps(partition);
        // A second lap: offsets 4 to 7 reuse the slots of 0 to 3, then two more gaps at 8 and 10 prune the old ones.
        for (int offset = 4; offset < 12; offset++)
        {
            var claim = partition.Claim();
            claim.Event = new TestEvent(100 + offset);
            if (offset is not 8 and not 10)
            {
                claim.Publish();
            }
            else
            {
                claim.Dispose();
            }
        }

        var handler = new Collector();
        group.Join(handler);
        partition.Publish(new TestEvent(112));

        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Any(s => s.Offset == 12), Timeout), "the marker was handled");
        Assert.All(handler.Seen, s => Assert.Equal(100 + s.Offset, s.Value));
        Assert.DoesNotContain(handler.Seen, s => s.Offset is 8 or 10);
        Assert.Equal([9, 11, 12], handler.Seen.Select(s => s.Offset).Where(o => o >= 9));
    }

    /// <summary>The gap log stays bounded: each add forgets the gaps below the bound it is given, and only those.</summary>
    [Fact]
    public void GapLog_Add_ForgetsExactlyTheGapsBelowThePruneBound()
    {
        var gaps = new GapLog();
        gaps.Add(1, 1, pruneBelow: 0);
        gaps.Add(3, 3, pruneBelow: 0);
        Assert.Equal(1, gaps.NextAtOrAfter(0));

        gaps.Add(7, 7, pruneBelow: 3);
        Assert.Equal(3, gaps.NextAtOrAfter(0));

        gaps.Add(9, 9, pruneBelow: 8);
        Assert.Equal(9, gaps.NextAtOrAfter(0));
        Assert.Equal(long.MaxValue, gaps.NextAtOrAfter(10));
        Assert.Equal(4, gaps.Version);
    }

    /// <summary>
    /// Without readers, a gap is forgotten once its slot was reused (a lap later): no reader can reach it any more, and a
    /// writer's abandon prunes it. One lap is the exact bound: the gap of the previous lap's last offset is kept.
    /// </summary>
    [Fact]
    public void MultiWriterGaps_NoReaders_ForgottenExactlyOnceTheirSlotWasReused()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "prune", Capacity = 4, PublishMode = PublishMode.MultiWriter });
        Partition<TestEvent> partition = topic[0];
        partition.Claim().Dispose();
        for (int i = 1; i <= 4; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        partition.Claim().Dispose();

        Assert.Equal(5, partition.Gaps!.NextAtOrAfter(0));

        // Offset 8 reuses offset 4's slot: gap 5 is still within reach. Offset 9 reuses gap 5's slot.
        partition.Publish(new TestEvent(6));
        partition.Publish(new TestEvent(7));
        partition.Claim().Dispose();
        Assert.Equal(5, partition.Gaps.NextAtOrAfter(0));
        partition.Claim().Dispose();
        Assert.Equal(8, partition.Gaps.NextAtOrAfter(0));
    }
}
