using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Partitioning;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

/// <summary>
/// A publisher blocked on a full ring (here held by a lossless reader that stopped committing, as a lossless group
/// whose only member failed holds it) has a way out through every topic-level publishing member: a cancellation
/// token or a time-out, for every key type, keyless and partition-addressed. Nothing is published when it gives up.
/// </summary>
public sealed class TopicBackpressureTests
{
    public enum Route
    {
        Bytes,
        String,
        Int32,
        Int64,
        Guid,
        Keyless,
        Partition,
    }

    public static TheoryData<Route> Routes => [.. Enum.GetValues<Route>()];

    [Theory]
    [MemberData(nameof(Routes))]
    public void Publish_FullRingThenCancelled_ThrowsAndPublishesNothing(Route route)
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        using (var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            var error = Assert.ThrowsAny<OperationCanceledException>(() => Publish(topic, route, new TestEvent(3), cancellation.Token));

            Assert.Equal(cancellation.Token, error.CancellationToken);
            Assert.Equal(2, topic[0].EndOffset);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void TryPublish_FullRingUntilTimeout_ReturnsFalseAfterWaitingAndPublishesNothing(Route route)
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        {
            var clock = Stopwatch.StartNew();
            bool published = TryPublish(topic, route, new TestEvent(3), TimeSpan.FromMilliseconds(50), out PublishResult result);

            Assert.False(published);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(45), $"gave up after {clock.Elapsed.TotalMilliseconds} ms, before the 50 ms time-out");
            Assert.Equal(new PublishResult(0, -1), result);
            Assert.Equal(2, topic[0].EndOffset);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Publish_WithTokenWhileReaderFreesASlot_WaitsThenPublishes(Route route)
    {
        using var topic = CreateFullTopic(out PartitionReader<TestEvent> reader);
        using (reader)
        using (var cancellation = new CancellationTokenSource())
        {
            Task<PublishResult> publisher = Task.Run(() => Publish(topic, route, new TestEvent(3), cancellation.Token));

            Assert.True(reader.TryRead(out TestEvent first, out long offset));
            Assert.Equal((1L, 0L), (first.Value, offset));
            reader.Commit();

            Assert.True(publisher.Wait(TimeSpan.FromSeconds(10)), "the publisher stayed blocked after a slot was freed");
            Assert.Equal(new PublishResult(0, 2), publisher.Result);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void TryPublish_WithTimeoutAndRoom_PublishesAtOnce(Route route)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "room", PartitionCount = 1, Capacity = 4 });

        Assert.True(TryPublish(topic, route, new TestEvent(1), TimeSpan.Zero, out PublishResult result));

        Assert.Equal(new PublishResult(0, 0), result);
    }

    [Fact]
    public void TryPublish_NegativeTimeout_ThrowsNamingTimeout()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "negative", PartitionCount = 1, Capacity = 4 });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic.TryPublish("k", new TestEvent(1), TimeSpan.FromMilliseconds(-5), out _));

        Assert.Equal("timeout", error.ParamName);
        Assert.Equal(0, topic[0].EndOffset);
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

    private static PublishResult Publish(Topic<TestEvent> topic, Route route, in TestEvent @event, CancellationToken cancellationToken) =>
        route switch
        {
            Route.Bytes => topic.Publish("key"u8, in @event, cancellationToken),
            Route.String => topic.Publish("key", in @event, cancellationToken),
            Route.Int32 => topic.Publish(42, in @event, cancellationToken),
            Route.Int64 => topic.Publish(42L, in @event, cancellationToken),
            Route.Guid => topic.Publish(Guid.Empty, in @event, cancellationToken),
            Route.Keyless => topic.Publish(in @event, cancellationToken),
            _ => topic.PublishTo(0, in @event, cancellationToken),
        };

    private static bool TryPublish(Topic<TestEvent> topic, Route route, in TestEvent @event, TimeSpan timeout, out PublishResult result) =>
        route switch
        {
            Route.Bytes => topic.TryPublish("key"u8, in @event, timeout, out result),
            Route.String => topic.TryPublish("key", in @event, timeout, out result),
            Route.Int32 => topic.TryPublish(42, in @event, timeout, out result),
            Route.Int64 => topic.TryPublish(42L, in @event, timeout, out result),
            Route.Guid => topic.TryPublish(Guid.Empty, in @event, timeout, out result),
            Route.Keyless => topic.TryPublish(in @event, timeout, out result),
            _ => topic.TryPublishTo(0, in @event, timeout, out result),
        };
}
