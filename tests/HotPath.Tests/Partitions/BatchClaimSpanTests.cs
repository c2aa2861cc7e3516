using System.Runtime.CompilerServices;
using FsCheck.Xunit;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Partitions;

/// <summary>
/// A batch claim's slots as spans (<see cref="BatchClaim{T}.FirstSpan"/>, <see cref="BatchClaim{T}.SecondSpan"/>):
/// they tile the batch in offset order, split where the batch wraps around the ring, and are the very slots the
/// indexer returns and the ring's slots of their offsets; the indexer's bounds hold on both sides of the wrap.
/// </summary>
public class BatchClaimSpanTests
{
    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void WrappingBatch_FilledThroughItsSpans_IsReadInOffsetOrder(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "wrap", Capacity = 8, PublishMode = mode });
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        PublishAndRead(partition, reader, 5);

        using (BatchClaim<TestEvent> batch = partition.ClaimBatch(6))
        {
            // Offsets 5, 6, 7 at the ring's end, then 8, 9, 10 in slots 0, 1, 2.
            Assert.Equal(5, batch.FirstOffset);
            Assert.Equal(3, batch.FirstSpan.Length);
            Assert.Equal(3, batch.SecondSpan.Length);
            Span<TestEvent> first = batch.FirstSpan;
            Span<TestEvent> second = batch.SecondSpan;
            for (int i = 0; i < 3; i++)
            {
                first[i] = new TestEvent(5 + i);
                second[i] = new TestEvent(8 + i);
            }

            batch.Publish();
        }

        ReadsOffsetsAsValues(reader, 5, 10);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void WrappingBatch_IndexOutsideTheBatch_ThrowsNamingTheRangeOnBothSidesOfTheWrap(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "wrap-bounds", Capacity = 8, PublishMode = mode });
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        PublishAndRead(partition, reader, 6);

        BatchClaim<TestEvent> batch = partition.ClaimBatch(4);   // offsets 6, 7 | 8, 9
        var errors = new List<ArgumentOutOfRangeException>();
        foreach (int index in new[] { -1, 4, int.MinValue, int.MaxValue })
        {
            try
            {
                batch[index] = new TestEvent(index);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                errors.Add(ex);
            }
        }

        batch[3] = new TestEvent(9);   // the last slot of the tail is inside the batch
        batch.Dispose();
        Assert.Equal(4, errors.Count);
        Assert.All(errors, e => Assert.Equal("index", e.ParamName));
        Assert.All(errors, e => Assert.Contains("must be between 0 and 3", e.Message));
        Assert.Contains("was -1", errors[0].Message);
        Assert.Contains("was 4", errors[1].Message);
    }

    [Fact]
    public void DefaultBatchClaim_HasEmptySpansAndItsIndexerThrows()
    {
        BatchClaim<TestEvent> batch = default;
        Assert.True(batch.FirstSpan.IsEmpty);
        Assert.True(batch.SecondSpan.IsEmpty);
        ArgumentOutOfRangeException? error = null;
        try
        {
            batch[0] = new TestEvent(0);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            error = ex;
        }

        Assert.NotNull(error);
        Assert.Contains("must be between 0 and -1, was 0", error.Message);
        TransactionalBatchClaim<TestEvent> transactional = default;
        Assert.True(transactional.FirstSpan.IsEmpty);
        Assert.True(transactional.SecondSpan.IsEmpty);
        ArgumentOutOfRangeException? transactionalError = null;
        try
        {
            transactional[0].Value = 1;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            transactionalError = ex;
        }

        Assert.NotNull(transactionalError);
        Assert.Equal("index", transactionalError.ParamName);
        Assert.Contains("must be between 0 and -1, was 0", transactionalError.Message);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void TransactionalWrappingBatch_FilledThroughItsSpans_IsReadInOffsetOrderAfterTheCommit(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "txn-wrap", Capacity = 8, PublishMode = mode });
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("spans");
        PublishAndRead(topic[0], reader, 6);

        publisher.Begin();
        using (TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 0, 5))
        {
            Assert.Equal(2, batch.FirstSpan.Length);   // offsets 6, 7 | 8, 9, 10
            Assert.Equal(3, batch.SecondSpan.Length);
            for (int i = 0; i < 5; i++)
            {
                ref TestEvent slot = ref i < 2 ? ref batch.FirstSpan[i] : ref batch.SecondSpan[i - 2];
                Assert.True(Unsafe.AreSame(ref slot, ref batch[i]), $"slot {i} of the spans is not the indexer's");
                Assert.True(Unsafe.AreSame(ref slot, ref topic[0].SlotRef(6 + i)), $"slot {i} is not the ring's slot of offset {6 + i}");
                slot = new TestEvent(6 + i);
            }

            batch.Publish();
        }

        Assert.False(reader.TryRead(out _, out _));   // not committed yet
        publisher.Commit();
        ReadsOffsetsAsValues(reader, 6, 10);
    }

    /// <summary>
    /// Against the sequential model (offset <c>o</c> holds event <c>o</c>): for any capacity, any start on the ring
    /// and any batch size, the spans tile the batch (the first up to the ring's end), each indexer slot is the span's
    /// slot at that position, and the batch filled either way is read back in offset order.
    /// </summary>
    [Property(MaxTest = 300)]
    public void AnyBatch_SpansTileItAndMatchTheIndexer(byte capacityLog, byte before, byte size, bool viaSpans, bool multiWriter, bool tryClaim)
    {
        int capacity = 1 << (capacityLog % 7);
        int published = before % (3 * capacity);
        int count = 1 + (size % capacity);
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "tiles",
            Capacity = capacity,
            PublishMode = multiWriter ? PublishMode.MultiWriter : PublishMode.SingleWriter,
        });
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        PublishAndRead(partition, reader, published);

        BatchClaim<TestEvent> claimed;
        if (tryClaim)
        {
            Assert.True(partition.TryClaimBatch(count, out claimed), "the ring is empty: room for any batch up to its capacity");
        }
        else
        {
            claimed = partition.ClaimBatch(count);
        }

        using (BatchClaim<TestEvent> batch = claimed)
        {
            Assert.Equal(published, batch.FirstOffset);
            int head = Math.Min(count, capacity - (published % capacity));
            Assert.Equal(head, batch.FirstSpan.Length);
            Assert.Equal(count - head, batch.SecondSpan.Length);
            for (int i = 0; i < count; i++)
            {
                ref TestEvent spanSlot = ref i < head ? ref batch.FirstSpan[i] : ref batch.SecondSpan[i - head];
                Assert.True(Unsafe.AreSame(ref spanSlot, ref batch[i]), $"slot {i}: the spans and the indexer differ");
                Assert.True(Unsafe.AreSame(ref spanSlot, ref partition.SlotRef(published + i)), $"slot {i}: not the ring's slot of offset {published + i}");
                (viaSpans ? ref spanSlot : ref batch[i]) = new TestEvent(published + i);
            }

            batch.Publish();
        }

        ReadsOffsetsAsValues(reader, published, published + count - 1);
    }

    /// <summary>The reader gets offsets <paramref name="first"/> to <paramref name="last"/>, each holding its offset as its value, then nothing.</summary>
    private static void ReadsOffsetsAsValues(PartitionReader<TestEvent> reader, long first, long last)
    {
        for (long expected = first; expected <= last; expected++)
        {
            Assert.True(reader.TryRead(out TestEvent read, out long offset));
            Assert.Equal((expected, expected), (offset, read.Value));
        }

        Assert.False(reader.TryRead(out _, out _));
    }

    /// <summary>Publishes events 0 to <paramref name="count"/> - 1 and reads each back: the next batch starts at offset <paramref name="count"/> of an empty ring.</summary>
    private static void PublishAndRead(Partition<TestEvent> partition, PartitionReader<TestEvent> reader, int count)
    {
        for (long i = 0; i < count; i++)
        {
            partition.Publish(new TestEvent(i));
            Assert.True(reader.TryRead(out _, out _));
        }
    }
}
