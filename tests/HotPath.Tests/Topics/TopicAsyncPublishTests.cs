using HotPath.Consumers;
using HotPath.Partitioning;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

/// <summary>
/// <c>PublishAsync</c> for every key type, keyless, and <c>PublishToAsync</c>: synchronous and allocation-free with room,
/// awaiting (the call returns, no thread blocks) on a full ring until a reader commits, and a cancelled wait leaves
/// nothing behind. The ring is held full by a lossless reader that does not commit, as in <see cref="TopicBackpressureTests"/>.
/// </summary>
public sealed class TopicAsyncPublishTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<TopicBackpressureTests.Route> Routes => [.. Enum.GetValues<TopicBackpressureTests.Route>()];

    [Theory]
    [MemberData(nameof(Routes))]
    public void PublishAsync_RoomInRing_CompletesSynchronouslyAndAllocatesNothing(TopicBackpressureTests.Route route)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "room", PartitionCount = 1, Capacity = 4096 });
        for (int i = 0; i < 100; i++)
        {
            // Warm-up: the JIT's tiers and the partitioner's first calls.
            _ = PublishAsync(topic, route, new TestEvent(i), CancellationToken.None).Result;
        }

        using var cancellation = new CancellationTokenSource();
        bool allSynchronous = true;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            ValueTask<PublishResult> published = PublishAsync(topic, route, new TestEvent(i), cancellation.Token);
            allSynchronous &= published.IsCompletedSuccessfully;
            _ = published.Result;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allSynchronous, "a publish with room completed asynchronously");
        Assert.Equal(0, allocated);
        Assert.Equal(2100, topic[0].EndOffset);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task PublishAsync_FullRingThenReaderCommits_ReturnsPendingThenPublishes(TopicBackpressureTests.Route route)
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        {
            // The call returns to this thread with the publish pending: nothing blocks while the ring is full.
            ValueTask<PublishResult> pending = PublishAsync(topic, route, new TestEvent(3), CancellationToken.None);
            Assert.False(pending.IsCompleted);
            await Task.Delay(50);
            Assert.False(pending.IsCompleted);
            Assert.Equal(2, topic[0].EndOffset);

            Assert.True(reader.TryRead(out TestEvent first, out long offset));
            Assert.Equal((1L, 0L), (first.Value, offset));
            reader.Commit();

            Task<PublishResult> publish = pending.AsTask();
            Assert.True(await Task.WhenAny(publish, Task.Delay(Timeout)) == publish, "the async publisher was not woken by the commit");
            Assert.Equal(new PublishResult(0, 2), await publish);
            Assert.True(reader.TryRead(out _, out _));
            Assert.True(reader.TryRead(out TestEvent third, out long thirdOffset));
            Assert.Equal((3L, 2L), (third.Value, thirdOffset));
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task PublishAsync_FullRingThenCancelled_ThrowsWithTheTokenAndLeavesNothingBehind(TopicBackpressureTests.Route route)
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        using (var cancellation = new CancellationTokenSource())
        {
            ValueTask<PublishResult> pending = PublishAsync(topic, route, new TestEvent(3), cancellation.Token);
            Assert.False(pending.IsCompleted);
            cancellation.Cancel();

            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            Assert.Equal(cancellation.Token, error.CancellationToken);
            Assert.Equal(2, topic[0].EndOffset);

            // No slot was claimed: once a slot is free, the next publish takes offset 2 and the reader gets it, no gap.
            Assert.True(reader.TryRead(out _, out _));
            reader.Commit();
            Assert.Equal(new PublishResult(0, 2), await PublishAsync(topic, route, new TestEvent(4), CancellationToken.None));
            Assert.True(reader.TryRead(out _, out _));
            Assert.True(reader.TryRead(out TestEvent next, out long offset));
            Assert.Equal((4L, 2L), (next.Value, offset));
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task PublishAsync_TokenCancelledBeforeTheCall_PublishesNothingEvenWithRoom(TopicBackpressureTests.Route route)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "room", PartitionCount = 1, Capacity = 4 });
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await PublishAsync(topic, route, new TestEvent(1), cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(0, topic[0].EndOffset);
    }

    [Fact]
    public async Task WaitToPublishAsync_FullRingThenReaderCommits_CompletesTrueAndTryPublishSucceeds()
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        {
            ValueTask<bool> waiting = topic.WaitToPublishAsync(0);
            Assert.False(waiting.IsCompleted);

            Assert.True(reader.TryRead(out _, out _));
            reader.Commit();

            Task<bool> wait = waiting.AsTask();
            Assert.True(await Task.WhenAny(wait, Task.Delay(Timeout)) == wait, "the wait was not woken by the commit");
            Assert.True(await wait);
            Assert.True(topic.TryPublishTo(0, new TestEvent(3), out PublishResult result));
            Assert.Equal(new PublishResult(0, 2), result);
        }
    }

    [Fact]
    public void WaitToPublishAsync_RoomNow_CompletesSynchronouslyWithTrue()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "room", PartitionCount = 2, Capacity = 4 });

        ValueTask<bool> waiting = topic.WaitToPublishAsync(1);

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(waiting.Result);
    }

    [Fact]
    public async Task WaitToPublishAsync_TopicCompletedWhileWaiting_CompletesFalse()
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        {
            ValueTask<bool> waiting = topic.WaitToPublishAsync(0);
            Assert.False(waiting.IsCompleted);

            topic.Complete();

            Assert.False(await waiting.AsTask().WaitAsync(Timeout));
            Assert.False(await topic.WaitToPublishAsync(0));
        }
    }

    [Fact]
    public async Task WaitToPublishAsync_Cancelled_ThrowsWithTheToken()
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        using (var cancellation = new CancellationTokenSource())
        {
            ValueTask<bool> waiting = topic.WaitToPublishAsync(0, cancellation.Token);
            cancellation.Cancel();

            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
            Assert.Equal(cancellation.Token, error.CancellationToken);
        }
    }

    [Fact]
    public void PublishToAsync_PartitionOutOfRange_ThrowsNamingPartition()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "range", PartitionCount = 2, Capacity = 4 });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic.PublishToAsync(2, new TestEvent(1)));

        Assert.Equal("partition", error.ParamName);
        Assert.Contains("was 2", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => topic.WaitToPublishAsync(-1));
    }

    // One partition of 2 slots, both published, and a lossless reader at offset 0 that does not commit.
    private static Topic<TestEvent> CreateFullTopic(out PartitionReader<TestEvent> reader)
    {
        var topic = new Topic<TestEvent>(new TopicOptions { Name = "full", PartitionCount = 1, Capacity = 2, Partitioner = Partitioner.Kafka });
        reader = topic.CreateReader(0);
        topic.Publish(new TestEvent(1));
        topic.Publish(new TestEvent(2));
        Assert.False(topic.TryPublish(new TestEvent(0), out _));
        return topic;
    }

    private static ValueTask<PublishResult> PublishAsync(
        Topic<TestEvent> topic, TopicBackpressureTests.Route route, in TestEvent @event, CancellationToken cancellationToken) =>
        route switch
        {
            TopicBackpressureTests.Route.Bytes => topic.PublishAsync("key"u8, in @event, cancellationToken),
            TopicBackpressureTests.Route.String => topic.PublishAsync("key", in @event, cancellationToken),
            TopicBackpressureTests.Route.Int32 => topic.PublishAsync(42, in @event, cancellationToken),
            TopicBackpressureTests.Route.Int64 => topic.PublishAsync(42L, in @event, cancellationToken),
            TopicBackpressureTests.Route.Guid => topic.PublishAsync(Guid.Empty, in @event, cancellationToken),
            TopicBackpressureTests.Route.Keyless => topic.PublishAsync(in @event, cancellationToken),
            _ => topic.PublishToAsync(0, in @event, cancellationToken),
        };
}
