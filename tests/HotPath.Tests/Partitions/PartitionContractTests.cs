using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

/// <summary>The contract every publishing mode keeps; run once per mode by the derived classes.</summary>
public abstract class PartitionContractTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    protected abstract PublishMode Mode { get; }

    protected Topic<TestEvent> CreateTopic(int capacity = 8, int partitions = 1, WaitStrategy? wait = null) =>
        new(new TopicOptions
        {
            Name = "contract",
            PartitionCount = partitions,
            Capacity = capacity,
            PublishMode = Mode,
            WaitStrategy = wait ?? WaitStrategy.Blocking,
        });

    [Fact]
    public void Publish_Sequential_OffsetsStartAtZeroAndIncrease()
    {
        using var topic = CreateTopic();
        var partition = topic[0];

        for (long i = 0; i < 20; i++)
        {
            Assert.Equal(i, partition.Publish(new TestEvent(i)));
        }

        Assert.Equal(20, partition.EndOffset);
    }

    [Fact]
    public void TryPublish_FullRing_ReturnsFalseAtOnce()
    {
        using var topic = CreateTopic(capacity: 4);
        using var reader = topic.CreateReader(0);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(topic[0].TryPublish(new TestEvent(i), out long offset));
            Assert.Equal(i, offset);
        }

        Assert.False(topic[0].TryPublish(new TestEvent(99), out long rejected));
        Assert.Equal(-1, rejected);
        Assert.Equal(4, topic[0].EndOffset);
    }

    [Fact]
    public void TryPublish_AfterReaderCommits_HasRoomAgain()
    {
        using var topic = CreateTopic(capacity: 4);
        using var reader = topic.CreateReader(0);
        for (int i = 0; i < 4; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        var handler = new SumHandler();
        Assert.Equal(2, reader.Poll(ref handler, maxEvents: 2));

        Assert.True(topic[0].TryPublish(new TestEvent(4), out _));
        Assert.True(topic[0].TryPublish(new TestEvent(5), out _));
        Assert.False(topic[0].TryPublish(new TestEvent(6), out _));
    }

    [Fact]
    public void TryPublish_NoLosslessReader_OverwritesOldestWithoutBlocking()
    {
        using var topic = CreateTopic(capacity: 4);

        for (int i = 0; i < 10; i++)
        {
            Assert.True(topic[0].TryPublish(new TestEvent(i), out long offset));
            Assert.Equal(i, offset);
        }

        Assert.Equal(6, topic[0].StartOffset);
    }

    [Fact]
    public void TryPublishWithTimeout_FullRing_GivesUpWithoutPublishing()
    {
        using var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));

        var started = System.Diagnostics.Stopwatch.StartNew();
        bool published = topic[0].TryPublish(new TestEvent(2), TimeSpan.FromMilliseconds(100), out long offset);

        Assert.False(published);
        Assert.Equal(-1, offset);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(90), $"gave up after {started.Elapsed}");
        Assert.Equal(2, topic[0].EndOffset);
    }

    [Fact]
    public void TryClaimWithTimeout_FullRing_GivesUpWithoutClaiming()
    {
        using var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));

        var started = System.Diagnostics.Stopwatch.StartNew();
        bool claimed = topic[0].TryClaim(TimeSpan.FromMilliseconds(100), out EventClaim<TestEvent> claim);

        Assert.False(claimed);
        Assert.Equal(-1, claim.Partition);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(90), $"gave up after {started.Elapsed}");
        Assert.Equal(2, topic[0].EndOffset);
        Assert.Throws<ArgumentOutOfRangeException>(() => topic[0].TryClaim(TimeSpan.FromMilliseconds(-1), out _));
    }

    [Fact]
    public void TryClaimWithTimeout_FreeSlot_ClaimsFillsAndPublishes()
    {
        using var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));

        Assert.True(topic[0].TryClaim(TimeSpan.FromMilliseconds(100), out EventClaim<TestEvent> claim));
        using (claim)
        {
            Assert.Equal(1, claim.Offset);
            claim.Event = new TestEvent(41);
            claim.Publish();
        }

        Assert.Equal(2, topic[0].EndOffset);
        Assert.True(reader.TryRead(out TestEvent first, out _));
        Assert.True(reader.TryRead(out TestEvent second, out long offset));
        Assert.Equal((0, 41, 1), (first.Value, second.Value, offset));
    }

    [Fact]
    public void PublishWithCancellation_FullRing_ThrowsOperationCanceled()
    {
        using var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        Assert.ThrowsAny<OperationCanceledException>(() => topic[0].Publish(new TestEvent(2), cancellation.Token));
        Assert.Equal(2, topic[0].EndOffset);
    }

    [Theory]
    [InlineData("blocking")]
    [InlineData("yielding")]
    [InlineData("spin-then-sleep")]
    [InlineData("busy-spin")]
    public void Publish_FullRing_WaitsUntilReaderCommits(string strategy)
    {
        WaitStrategy wait = strategy switch
        {
            "blocking" => WaitStrategy.Blocking,
            "yielding" => WaitStrategy.Yielding,
            "spin-then-sleep" => WaitStrategy.SpinThenSleep,
            _ => WaitStrategy.BusySpin,
        };
        using var topic = CreateTopic(capacity: 2, wait: wait);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));

        var writer = Task.Run(() => topic[0].Publish(new TestEvent(2)));
        Thread.Sleep(50);
        Assert.False(writer.IsCompleted, "the writer must wait while the reader has not committed");

        Assert.True(reader.TryRead(out TestEvent first, out long firstOffset));
        Assert.Equal(0, first.Value);
        Assert.Equal(0, firstOffset);
        Assert.True(writer.Wait(TestTimeout), "the writer must resume once a slot is free");
        Assert.Equal(2, writer.Result);
    }

    [Fact]
    public void ClaimBatch_FilledInPlace_BecomesVisibleOnlyOnPublish()
    {
        using var topic = CreateTopic(capacity: 8);
        using var reader = topic.CreateReader(0);

        using (var batch = topic[0].ClaimBatch(3))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new TestEvent(10 + i);
            }

            Assert.False(reader.TryRead(out _, out _));
            batch.Publish();
        }

        var handler = new CollectingHandler();
        Assert.Equal(3, reader.Poll(ref handler));
        Assert.Equal([10L, 11L, 12L], handler.Seen.Select(s => s.Event.Value));
        Assert.Equal([0L, 1L, 2L], handler.Seen.Select(s => s.Offset));
        Assert.Equal([false, false, true], handler.Seen.Select(s => s.EndOfBatch));
    }

    [Fact]
    public void PublishBatch_AcrossTheWrap_KeepsOrder()
    {
        using var topic = CreateTopic(capacity: 4);
        using var reader = topic.CreateReader(0);
        var handler = new CollectingHandler();
        topic[0].PublishBatch([new TestEvent(0), new TestEvent(1), new TestEvent(2)]);
        reader.Poll(ref handler);

        long first = topic[0].PublishBatch([new TestEvent(3), new TestEvent(4), new TestEvent(5)]);
        reader.Poll(ref handler);

        Assert.Equal(3, first);
        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L], handler.Seen.Select(s => s.Event.Value));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(-1)]
    public void ClaimBatch_CountOutOfRange_ThrowsNamingCount(int count)
    {
        using var topic = CreateTopic(capacity: 8);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic[0].ClaimBatch(count).Dispose());
        Assert.Equal("count", error.ParamName);
        Assert.Contains($"must be between 1 and the capacity 8, was {count}", error.Message);
    }

    [Fact]
    public void Publish_AfterComplete_ThrowsInvalidOperationNamingTopic()
    {
        using var topic = CreateTopic();
        topic.Complete();

        var error = Assert.Throws<InvalidOperationException>(() => topic[0].Publish(new TestEvent(1)));
        Assert.Contains("topic 'contract' is complete", error.Message);
        Assert.True(topic.IsCompleted);
    }

    [Fact]
    public void Publish_AfterDispose_ThrowsObjectDisposed()
    {
        var topic = CreateTopic();
        topic.Dispose();
        topic.Dispose();

        var error = Assert.Throws<ObjectDisposedException>(() => topic.Publish(new TestEvent(1)));
        Assert.Contains("contract", error.Message);
    }

    [Fact]
    public void Dispose_WriterWaitingOnFullRing_ReleasesItWithObjectDisposed()
    {
        var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));
        var writer = Task.Run(() => topic[0].Publish(new TestEvent(2)));
        Thread.Sleep(50);

        topic.Dispose();

        var error = Assert.Throws<AggregateException>(() => writer.Wait(TestTimeout));
        Assert.IsType<ObjectDisposedException>(error.InnerException);
    }

    [Fact]
    public void CreateReader_Earliest_SeesEventsPublishedBeforeItJoined()
    {
        using var topic = CreateTopic(capacity: 8);
        for (int i = 0; i < 5; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        using var reader = topic.CreateReader(0, OffsetReset.Earliest);
        var handler = new CollectingHandler();
        reader.Poll(ref handler);

        Assert.Equal([0L, 1L, 2L, 3L, 4L], handler.Seen.Select(s => s.Offset));
    }

    [Fact]
    public void CreateReader_EarliestAfterWrap_StartsAtOldestRetainedSlot()
    {
        using var topic = CreateTopic(capacity: 4);
        for (int i = 0; i < 10; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        using var reader = topic.CreateReader(0, OffsetReset.Earliest);
        var handler = new CollectingHandler();
        reader.Poll(ref handler);

        Assert.Equal([6L, 7L, 8L, 9L], handler.Seen.Select(s => s.Event.Value));
    }

    [Fact]
    public void CreateReader_Latest_SeesOnlyNewEvents()
    {
        using var topic = CreateTopic(capacity: 8);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));

        using var reader = topic.CreateReader(0, OffsetReset.Latest);
        topic[0].Publish(new TestEvent(2));
        var handler = new CollectingHandler();
        reader.Poll(ref handler);

        Assert.Equal([2L], handler.Seen.Select(s => s.Offset));
    }

    [Fact]
    public void CreateReader_SecondReaderEarliest_StartsAtSlowestLosslessReader()
    {
        using var topic = CreateTopic(capacity: 8);
        using var slow = topic.CreateReader(0);
        for (int i = 0; i < 6; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        var skip = new SumHandler();
        slow.Poll(ref skip, maxEvents: 2);
        using var late = topic.CreateReader(0, OffsetReset.Earliest);

        Assert.Equal(2, late.Position);
    }

    [Fact]
    public void Seek_WithinRetainedWindow_RereadsEvents()
    {
        using var topic = CreateTopic(capacity: 8);
        using var holder = topic.CreateReader(0);
        using var reader = topic.CreateReader(0);
        for (int i = 0; i < 5; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        var handler = new CollectingHandler();
        reader.Poll(ref handler);
        reader.Seek(1);
        reader.Poll(ref handler);

        Assert.Equal([0L, 1L, 2L, 3L, 4L, 1L, 2L, 3L, 4L], handler.Seen.Select(s => s.Offset));
    }

    [Fact]
    public void Seek_OutsideRetainedWindow_ThrowsWithTheWindow()
    {
        using var topic = CreateTopic(capacity: 8);
        using var reader = topic.CreateReader(0);
        for (int i = 0; i < 3; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(7));
        Assert.Equal("offset", error.ParamName);
        Assert.Contains("must be within the retained window [0, 3] of partition 0 of 'contract', was 7", error.Message);
    }

    [Fact]
    public void Poll_WithoutCommit_KeepsTheWriterGatedUntilCommit()
    {
        using var topic = CreateTopic(capacity: 2);
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));

        var handler = new SumHandler();
        reader.Poll(ref handler, commit: false);
        Assert.False(topic[0].TryPublish(new TestEvent(2), out _));
        Assert.Equal(2, reader.Lag);

        reader.Commit();
        Assert.True(topic[0].TryPublish(new TestEvent(2), out _));
        Assert.Equal(1, reader.Lag);
    }

    [Fact]
    public void ReaderDispose_StopsGatingTheWriter()
    {
        using var topic = CreateTopic(capacity: 2);
        var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(0));
        topic[0].Publish(new TestEvent(1));
        Assert.False(topic[0].TryPublish(new TestEvent(2), out _));

        reader.Dispose();

        Assert.True(topic[0].TryPublish(new TestEvent(2), out _));
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(out _, out _));
    }

    [Fact]
    public void Claim_Twice_InSingleWriterModeThrowsOrInMultiWriterGetsNextOffset()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        var first = topic[0].Claim();
        try
        {
            if (Mode == PublishMode.SingleWriter)
            {
                var error = Assert.Throws<InvalidOperationException>(() => topic[0].Claim().Dispose());
                Assert.Contains("unpublished claim at offset 0", error.Message);
            }
            else
            {
                using var second = topic[0].Claim();
                Assert.Equal(1, second.Offset);
                second.Publish();
            }
        }
        finally
        {
            first.Publish();
        }
    }
}

public sealed class SingleWriterPartitionTests : PartitionContractTests
{
    protected override PublishMode Mode => PublishMode.SingleWriter;

    [Fact]
    public void Claim_ExceptionWhileFilling_GivesTheOffsetBack()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);

        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var claim = topic[0].Claim();
            claim.Event.Value = 666;
            throw new InvalidOperationException("fill failed");
        }));
        long offset = topic[0].Publish(new TestEvent(1));

        Assert.Equal(0, offset);
        Assert.True(reader.TryRead(out TestEvent read, out long readOffset));
        Assert.Equal(1, read.Value);
        Assert.Equal(0, readOffset);
        Assert.False(reader.TryRead(out _, out _));
    }
}

public sealed class MultiWriterPartitionTests : PartitionContractTests
{
    protected override PublishMode Mode => PublishMode.MultiWriter;

    [Fact]
    public void Claim_ExceptionWhileFilling_LeavesAGapThatReadersSkip()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(1));

        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var claim = topic[0].Claim();
            claim.Event.Value = 666;
            throw new InvalidOperationException("fill failed");
        }));
        long next = topic[0].Publish(new TestEvent(3));

        Assert.Equal(2, next);
        var handler = new CollectingHandler();
        Assert.Equal(3, reader.Poll(ref handler));
        Assert.Equal([(0L, 1L), (2L, 3L)], handler.Seen.Select(s => (s.Offset, s.Event.Value)));
        Assert.DoesNotContain(handler.Seen, s => s.Event.Value == 666);
        Assert.Equal(0, reader.Lag);
    }

    [Fact]
    public void Poll_BatchEndingInAGap_MarksTheLastRealEventEndOfBatch()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        topic[0].Publish(new TestEvent(1));
        topic[0].Publish(new TestEvent(2));
        topic[0].Claim().Dispose();
        topic[0].Claim().Dispose();

        var handler = new CollectingHandler();
        Assert.Equal(4, reader.Poll(ref handler));

        Assert.Equal([(0L, false), (1L, true)], handler.Seen.Select(s => (s.Offset, s.EndOfBatch)));
    }

    [Fact]
    public void Claim_AbandonedWhileAnotherWriterPublishesLater_DoesNotBlockReaders()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        var abandoned = topic[0].Claim();
        long later = topic[0].Publish(new TestEvent(7));

        Assert.False(reader.TryRead(out _, out _));
        abandoned.Dispose();

        Assert.True(reader.TryRead(out TestEvent read, out long offset));
        Assert.Equal(later, offset);
        Assert.Equal(7, read.Value);
    }
}
