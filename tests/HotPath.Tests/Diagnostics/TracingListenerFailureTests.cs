using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Diagnostics;

/// <summary>
/// A tracing listener is the application's code, run inside a publish (the send span's start). When it throws, the
/// events are already in their slots and their claim is spent: they are published all the same, the listener's
/// exception comes out of the publish, the publisher's current span is the one it had, and the partition goes on.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingListenerFailureTests
{
    public static TheoryData<PublishMode> Modes => [PublishMode.SingleWriter, PublishMode.MultiWriter];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Publish_ListenerThrowsOnTheSendSpan_EventsArePublishedTheExceptionSurfacesAndThePartitionGoesOn(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "throwing-listener", Capacity = 16, PublishMode = mode });
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Partition<TestEvent> partition = topic[0];
        using var throwing = new ThrowingListener("send throwing-listener");
        Activity? before = Activity.Current;

        var single = Assert.Throws<InvalidOperationException>(() => partition.Publish(new TestEvent(0)));
        Assert.Equal(ThrowingListener.Message, single.Message);
        Assert.Same(before, Activity.Current);

        var claimed = Assert.Throws<InvalidOperationException>(() => PublishClaimed(partition, 1));
        Assert.Equal(ThrowingListener.Message, claimed.Message);

        var batch = Assert.Throws<InvalidOperationException>(() => partition.PublishBatch([new TestEvent(2), new TestEvent(3)]));
        Assert.Equal(ThrowingListener.Message, batch.Message);
        Assert.Same(before, Activity.Current);

        throwing.Stop();
        Assert.Equal(4, partition.Publish(new TestEvent(4)));
        Assert.Equal([0L, 1, 2, 3, 4], ReadAll(reader));
        Assert.Equal(5, partition.EndOffset);
    }

    private static void PublishClaimed(Partition<TestEvent> partition, long sequence)
    {
        using EventClaim<TestEvent> claim = partition.Claim();
        claim.Event = new TestEvent(sequence);
        claim.Publish();
    }

    private static long[] ReadAll(PartitionReader<TestEvent> reader)
    {
        var sequences = new List<long>();
        while (reader.TryRead(out TestEvent @event, out _))
        {
            sequences.Add(@event.Value);
        }

        return [.. sequences];
    }

    /// <summary>A listener of the HotPath source whose span-start callback throws for one span name until stopped.</summary>
    private sealed class ThrowingListener : IDisposable
    {
        public const string Message = "the listener failed";

        private readonly ActivityListener _listener;
        private volatile bool _throwing = true;

        public ThrowingListener(string spanName)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == HotPathTracing.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = activity =>
                {
                    if (_throwing && activity.DisplayName == spanName)
                    {
                        throw new InvalidOperationException(Message);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public void Stop() => _throwing = false;

        public void Dispose() => _listener.Dispose();
    }
}
