using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// The writer's reach, which lossy readers check after copying slots, never decreases: a claim that is abandoned after
/// it partly overwrote a slot still counts as having reached it, so a lossy handler never sees that torn slot.
/// </summary>
public class AbandonedClaimReachTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>An event whose two fields are written separately; intact when <c>Check == ~Value</c>.</summary>
    private struct CheckedEvent(long value)
    {
        public long Value = value;
        public long Check = ~value;

        public readonly bool IsIntact => Check == ~Value;
    }

    private sealed class Collector : IEventHandler<CheckedEvent>
    {
        public ConcurrentQueue<(long Offset, CheckedEvent Event)> Seen { get; } = new();

        public void OnEvent(ref readonly CheckedEvent @event, int partition, long offset, bool endOfBatch) =>
            Seen.Enqueue((offset, @event));
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void LossyGroup_ClaimAbandonedAfterPartialFill_NeverHandsOutTheTornSlot(PublishMode mode)
    {
        using var topic = new Topic<CheckedEvent>(new TopicOptions { Name = "torn", Capacity = 4, PublishMode = mode });
        Partition<CheckedEvent> partition = topic[0];
        // The group's cursor sits at offset 0 from here on; its member starts reading after the abandoned fill.
        using var group = new ConsumerGroup<CheckedEvent>(topic, new ConsumerGroupOptions { GroupId = "lossy", Lossy = true });
        for (int i = 0; i < 4; i++)
        {
            partition.Publish(new CheckedEvent(i));
        }

        // Offset 4 reuses slot 0: half of it is written, then the fill fails and the claim is abandoned.
        var claim = partition.Claim();
        Assert.Equal(4, claim.Offset);
        claim.Event.Value = 999;
        claim.Dispose();

        var handler = new Collector();
        group.Join(handler);
        long marker = partition.Publish(new CheckedEvent(1000));

        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Any(s => s.Offset == marker), Timeout), "the marker was handled");
        Assert.All(handler.Seen, s => Assert.True(s.Event.IsIntact, $"offset {s.Offset}: Value={s.Event.Value}, Check={s.Event.Check}"));
        Assert.DoesNotContain(handler.Seen, s => s.Offset == 0);
        Assert.Equal(mode == PublishMode.SingleWriter ? 4 : 5, marker);
    }

    [Fact]
    public void Claim_SingleWriterAbandonedTwice_NextClaimsReuseTheOffsetsAndLossyCountIsExact()
    {
        using var topic = new Topic<CheckedEvent>(new TopicOptions { Name = "reuse", Capacity = 4, PublishMode = PublishMode.SingleWriter });
        Partition<CheckedEvent> partition = topic[0];
        using var group = new ConsumerGroup<CheckedEvent>(topic, new ConsumerGroupOptions { GroupId = "lossy", Lossy = true });
        for (int i = 0; i < 4; i++)
        {
            partition.Publish(new CheckedEvent(i));
        }

        // A batch claim of 4 to 6 (slots 0 to 2) is abandoned half-filled, then a single claim of 4 too.
        var batch = partition.ClaimBatch(3);
        Assert.Equal(4, batch.FirstOffset);
        batch[0].Value = 997;
        batch[1].Value = 998;
        batch.Dispose();
        var claim = partition.Claim();
        Assert.Equal(4, claim.Offset);
        claim.Event.Value = 999;
        claim.Dispose();

        var handler = new Collector();
        group.Join(handler);
        Assert.True(SpinWait.SpinUntil(() => group.GetStats().Single().Lost == 3 && handler.Seen.Count == 1, Timeout), "slots 0 to 2 lost, 3 handled");
        Assert.Equal(3, Assert.Single(handler.Seen).Offset);

        Assert.Equal(4, partition.Publish(new CheckedEvent(4)));
        Assert.Equal(5, partition.Publish(new CheckedEvent(5)));
        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Count == 3, Timeout), "the events after the abandons were handled");
        Assert.Equal([3, 4, 5], handler.Seen.Select(s => s.Offset));
        Assert.All(handler.Seen, s => Assert.True(s.Event.IsIntact, $"offset {s.Offset}: Value={s.Event.Value}, Check={s.Event.Check}"));
        Assert.Equal(3, group.GetStats().Single().Lost);
    }

    /// <summary>
    /// A claim after an abandon starts at the given-back offsets, below the reach, but may end past it: the part past
    /// the reach needs room like any first claim. At the exact boundary (the slot's previous occupant is the next event
    /// the slowest reader reads) it must be refused.
    /// </summary>
    [Fact]
    public void Claim_SingleWriterAfterAnAbandon_EndingPastTheReach_WaitsForTheSlowestReaderAtTheExactBoundary()
    {
        using var topic = new Topic<CheckedEvent>(new TopicOptions { Name = "given-back", Capacity = 8, PublishMode = PublishMode.SingleWriter });
        Partition<CheckedEvent> partition = topic[0];
        using PartitionReader<CheckedEvent> reader = topic.CreateReader(0);
        for (int i = 0; i < 6; i++)
        {
            partition.Publish(new CheckedEvent(i));
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.True(reader.TryRead(out _, out _));
        }

        BatchClaim<CheckedEvent> abandoned = partition.ClaimBatch(4);
        Assert.Equal(6, abandoned.FirstOffset);
        abandoned.Dispose();

        Assert.False(partition.TryClaimBatch(7, out _), "offset 12 would reuse the slot of offset 4, which the reader has not read");
        Assert.True(partition.TryClaimBatch(6, out BatchClaim<CheckedEvent> batch));
        Assert.Equal(6, batch.FirstOffset);
        for (int i = 0; i < 6; i++)
        {
            batch[i] = new CheckedEvent(6 + i);
        }

        batch.Publish();
        var seen = new List<long>();
        while (reader.TryRead(out CheckedEvent @event, out long offset))
        {
            Assert.True(@event.IsIntact && @event.Value == offset, $"offset {offset}: Value={@event.Value}, Check={@event.Check}");
            seen.Add(offset);
        }

        Assert.Equal([4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L], seen);
    }
}
