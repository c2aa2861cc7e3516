using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

/// <summary>
/// At most one writer owns a slot: a multi-writer claim is handed a slot only once the slot's previous occupant
/// (one lap earlier) was published or abandoned, whether or not a lossless reader gates the writers.
/// </summary>
public class SlotOwnershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int capacity = 4, WaitStrategy? wait = null) =>
        new(new TopicOptions
        {
            Name = "laps",
            Capacity = capacity,
            PublishMode = PublishMode.MultiWriter,
            WaitStrategy = wait ?? WaitStrategy.Blocking,
        });

    private static void RunOnOtherThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Timeout), "the other writer finished");
        Assert.Null(error);
    }

    [Fact]
    public void TryPublish_NoReaderAndPreviousOccupantClaimed_ReturnsFalseUntilItIsPublished()
    {
        using var topic = CreateTopic();
        Partition<TestEvent> partition = topic[0];
        var claim = partition.Claim();
        Assert.Equal(0, claim.Offset);
        claim.Event = new TestEvent(100);

        bool lappedAtOnce = true;
        bool lappedWithTimeout = true;
        var earlier = new List<long>();
        RunOnOtherThread(() =>
        {
            for (int i = 1; i <= 3; i++)
            {
                earlier.Add(partition.Publish(new TestEvent(100 + i)));
            }

            // Offset 4 lives in slot 0, still owned by the open claim of offset 0.
            lappedAtOnce = partition.TryPublish(new TestEvent(104), out _);
            lappedWithTimeout = partition.TryPublish(new TestEvent(104), TimeSpan.FromMilliseconds(20), out _);
        });

        Assert.Equal([1, 2, 3], earlier);
        Assert.False(lappedAtOnce, "a writer took slot 0 while the claim of offset 0 was open");
        Assert.False(lappedWithTimeout, "a writer took slot 0 after a time-out while the claim of offset 0 was open");
        Assert.Equal(0, partition.EndOffset);

        claim.Publish();
        Assert.Equal(4, partition.EndOffset);
        Assert.True(partition.TryPublish(new TestEvent(104), out long offset), "slot 0 is free once offset 0 is published");
        Assert.Equal(4, offset);
        Assert.Equal(5, partition.EndOffset);
    }

    [Fact]
    public void Publish_ClaimHeldWhileOtherWriterLapsRing_LateLosslessGroupHandlesEveryOffset()
    {
        using var topic = CreateTopic();
        Partition<TestEvent> partition = topic[0];
        var claim = partition.Claim();
        claim.Event = new TestEvent(100);
        using var reachedLap = new ManualResetEventSlim();
        Exception? error = null;
        var other = new Thread(() =>
        {
            try
            {
                for (int i = 1; i <= 4; i++)
                {
                    if (i == 4)
                    {
                        reachedLap.Set();
                    }

                    partition.Publish(new TestEvent(100 + i));
                }
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        other.Start();
        Assert.True(reachedLap.Wait(Timeout), "the other writer published 1 to 3");

        claim.Publish();
        Assert.True(other.Join(Timeout), "the other writer published offset 4 once offset 0 was published");
        Assert.Null(error);
        Assert.Equal(5, partition.EndOffset);

        // Created after the lap: starts at the oldest offset still in the ring and must never stall.
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "late" });
        long start = group.GetCommittedOffset("laps", 0);
        var handler = new RecordingHandler(1);
        group.Join(handler.For("m"));
        for (int i = 5; i < 40; i++)
        {
            Assert.True(partition.TryPublish(new TestEvent(100 + i), TimeSpan.FromSeconds(30), out long offset), $"publish of {i} not blocked for good");
            Assert.Equal(i, offset);
        }

        Assert.True(handler.WaitForCount(40 - start, Timeout), $"handled {handler.Deliveries.Count} of {40 - start}");
        Assert.Equal(1, start);
        Assert.Equal(Enumerable.Range(1, 39).Select(i => (long)i), handler.Deliveries.Select(d => d.Offset));
        Assert.All(handler.Deliveries, d => Assert.Equal(100 + d.Offset, d.Value));
    }

    [Fact]
    public void Publish_WaitingForPreviousOccupantThenDisposed_ThrowsObjectDisposed()
    {
        var topic = CreateTopic();
        Partition<TestEvent> partition = topic[0];
        var claim = partition.Claim();
        Exception? error = null;
        bool lapped = false;
        var other = new Thread(() =>
        {
            try
            {
                for (int i = 1; i <= 3; i++)
                {
                    partition.Publish(new TestEvent(i));
                }

                partition.Publish(new TestEvent(4));
                lapped = true;
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        other.Start();
        // Parked (Blocking strategy: a monitor wait) or finished: either way the writer got as far as it can.
        Assert.True(
            SpinWait.SpinUntil(() => other.ThreadState.HasFlag(ThreadState.WaitSleepJoin) || !other.IsAlive, Timeout),
            "the other writer parks or finishes");

        topic.Dispose();
        Assert.True(other.Join(Timeout), "dispose released the waiting writer");
        Assert.False(lapped, "a writer took slot 0 while the claim of offset 0 was open");
        Assert.IsType<ObjectDisposedException>(error);
        claim.Dispose();
    }

    [Fact]
    public void Publish_WaitingForPreviousOccupantThenCancelled_ThrowsAndClaimsNothing()
    {
        using var topic = CreateTopic(wait: WaitStrategy.Yielding);
        Partition<TestEvent> partition = topic[0];
        var claim = partition.Claim();
        using var cancellation = new CancellationTokenSource();
        Exception? error = null;
        var other = new Thread(() =>
        {
            try
            {
                for (int i = 1; i <= 3; i++)
                {
                    partition.Publish(new TestEvent(100 + i));
                }

                cancellation.CancelAfter(TimeSpan.FromMilliseconds(20));
                partition.Publish(new TestEvent(104), cancellation.Token);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        other.Start();
        Assert.True(other.Join(Timeout), "cancellation released the waiting writer");
        Assert.IsAssignableFrom<OperationCanceledException>(error);

        claim.Event = new TestEvent(100);
        claim.Publish();
        Assert.True(partition.TryPublish(new TestEvent(104), out long offset));
        Assert.Equal(4, offset);
        Assert.Equal(5, partition.EndOffset);
    }

    [Fact]
    public void TryClaimBatch_NoReaderAndOneSlotStillClaimed_ReturnsFalse()
    {
        using var topic = CreateTopic(capacity: 8);
        Partition<TestEvent> partition = topic[0];
        var held = partition.Claim();
        bool lapped = true;
        long batchFirst = -1;
        RunOnOtherThread(() =>
        {
            batchFirst = partition.PublishBatch([new(101), new(102), new(103), new(104), new(105), new(106), new(107)]);
            // Offsets 8 to 10 would reuse slots 0 to 2; slot 0 is still claimed.
            lapped = partition.TryClaimBatch(3, out _);
        });

        Assert.Equal(1, batchFirst);
        Assert.False(lapped, "a batch claim took slot 0 while the claim of offset 0 was open");
        held.Dispose();
        Assert.True(partition.TryClaimBatch(3, out var batch));
        Assert.Equal(8, batch.FirstOffset);
        batch.Dispose();
        Assert.Equal(11, partition.EndOffset);
    }
}
