using System.Collections.Concurrent;
using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Diagnostics;

/// <summary>
/// A tracing listener is the application's code, run inside a publish (the send span's start) and inside a member's
/// dispatch (the process span's start and stop). When it throws in a publish, the events are already in their slots and
/// their claim is spent: they are published all the same, the listener's exception comes out of the publish, the
/// publisher's current span is the one it had, and the partition goes on. When it throws in a dispatch, the dispatch
/// fails like a handler that threw (the error policy decides, the error is reported), and the member's current span
/// is put back, so the spans of later events do not hang under a span nobody ends.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingListenerFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

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

    [Theory]
    [MemberData(nameof(Modes))]
    public void Publish_ListenerThrowsWhenTheSendSpanStops_EventIsPublishedTheExceptionSurfacesAndTheCurrentSpanIsPutBack(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "throwing-listener", Capacity = 16, PublishMode = mode });
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Partition<TestEvent> partition = topic[0];
        using var throwing = new ThrowingListener("send throwing-listener", onStop: true, times: 1);
        Activity? before = Activity.Current;

        var error = Assert.Throws<InvalidOperationException>(() => partition.Publish(new TestEvent(0)));
        Assert.Equal(ThrowingListener.Message, error.Message);
        Assert.Same(before, Activity.Current);

        Assert.Equal(1, partition.Publish(new TestEvent(1)));
        Assert.Equal([0L, 1], ReadAll(reader));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Process_ListenerThrowsOnceOnTheProcessSpan_TheDispatchFailsIsRetriedAndLaterSpansHaveNoLeakedParent(bool onStop, bool batchHandler)
    {
        using var throwing = new ThrowingListener("process listened", onStop, times: 1);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "listened", Capacity = 64 });
        var errors = new ConcurrentQueue<HandlerError>();
        using ConsumerGroup<TestEvent> group = RetryingGroup(topic, maxAttempts: 3, errors);
        var seen = new ConcurrentQueue<(long Value, string? Span, ActivitySpanId Parent)>();
        JoinRecording(group, batchHandler, e => seen.Enqueue((e.Value, Activity.Current?.DisplayName, Activity.Current?.ParentSpanId ?? default)));

        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => seen.Count >= (onStop ? 2 : 1), Timeout));
        topic.PublishTo(0, new TestEvent(1));
        topic.PublishTo(0, new TestEvent(2));
        Assert.True(SpinWait.SpinUntil(() => seen.Count(s => s.Value == 2) == 1, Timeout));

        // The failed dispatch is retried: the handler never ran when the start failed, ran once already when the stop did.
        long[] expected = onStop ? [0, 0, 1, 2] : [0, 1, 2];
        Assert.Equal(expected, seen.Select(s => s.Value).ToArray());
        HandlerError error = Assert.Single(errors);
        Assert.Equal(ThrowingListener.Message, error.Error.Message);
        Assert.Equal(0, error.Offset);
        foreach ((long value, string? span, ActivitySpanId parent) in seen)
        {
            Assert.Equal("process listened", span);
            // No trace context is propagated, so every process span is a root: a parent would be a span left current.
            Assert.True(parent == default, $"the span of event {value} has parent {parent}, left current by the failed listener");
        }
    }

    /// <remarks>
    /// The handler's exception goes on with its type (the member tells a stop's cancellation or a fenced transaction from
    /// a failure by it) and carries the listener's; later spans have no leaked parent.
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_HandlerAndStopListenerBothThrow_TheHandlersExceptionCarriesTheListeners(bool batchHandler)
    {
        using var throwing = new ThrowingListener("process listened", onStop: true, times: 1);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "listened", Capacity = 64 });
        var errors = new ConcurrentQueue<HandlerError>();
        using ConsumerGroup<TestEvent> group = RetryingGroup(topic, maxAttempts: 2, errors);
        var seen = new ConcurrentQueue<(long Value, string? Span, ActivitySpanId Parent)>();
        int calls = 0;
        void Record(TestEvent e)
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new ArithmeticException("the handler failed");
            }

            seen.Enqueue((e.Value, Activity.Current?.DisplayName, Activity.Current?.ParentSpanId ?? default));
        }

        JoinRecording(group, batchHandler, Record);

        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 1, Timeout));
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 2, Timeout));

        var handlers = Assert.IsType<ArithmeticException>(Assert.Single(errors).Error);
        Assert.Equal("the handler failed", handlers.Message);
        var listeners = Assert.IsType<InvalidOperationException>(handlers.Data["HotPath.TracingListenerException"]);
        Assert.Equal(ThrowingListener.Message, listeners.Message);
        Assert.Equal([0L, 1], seen.Select(s => s.Value).ToArray());
        Assert.All(seen, s => Assert.Equal(("process listened", default(ActivitySpanId)), (s.Span, s.Parent)));
    }

    /// <summary>
    /// A member joined inside the application's span does not take that span for its thread's current one: its process
    /// spans have no parent (no trace context is propagated), also after the application's span ended and a listener threw.
    /// </summary>
    [Fact]
    public void Process_MemberJoinedInsideASpanThatEnded_ItsSpansHaveNoParentAlsoAfterAListenerThrew()
    {
        using var application = new ActivitySource("HotPath.Tests.Joiner");
        using var sampling = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "HotPath.Tests.Joiner",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(sampling);
        using var throwing = new ThrowingListener("process listened", times: 1);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "listened", Capacity = 64 });
        using ConsumerGroup<TestEvent> group = RetryingGroup(topic, maxAttempts: 2, errors: null);
        var seen = new ConcurrentQueue<(long Value, ActivitySpanId Parent)>();
        using (Activity? request = application.StartActivity("request"))
        {
            Assert.NotNull(request);
            group.Join(new ActionHandler((e, _, _, _) => seen.Enqueue((e.Value, Activity.Current?.ParentSpanId ?? default))));
        }

        topic.PublishTo(0, new TestEvent(0));
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 2, Timeout));

        Assert.Equal([(0L, default(ActivitySpanId)), (1L, default(ActivitySpanId))], seen.ToArray());
    }

    /// <summary>A group whose error policy retries at once, up to <paramref name="maxAttempts"/>, reporting each error.</summary>
    private static ConsumerGroup<TestEvent> RetryingGroup(Topic<TestEvent> topic, int maxAttempts, ConcurrentQueue<HandlerError>? errors) =>
        new(topic, new ConsumerGroupOptions
        {
            GroupId = "billing",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = maxAttempts, InitialBackoff = TimeSpan.Zero, OnError = errors is null ? null : errors.Enqueue },
        });

    /// <summary>Joins a member, an event handler or a batch handler, that hands every event to <paramref name="onEvent"/>.</summary>
    private static void JoinRecording(ConsumerGroup<TestEvent> group, bool batchHandler, Action<TestEvent> onEvent)
    {
        if (batchHandler)
        {
            group.JoinBatch(new DelegateBatchHandler(onEvent));
        }
        else
        {
            group.Join(new ActionHandler((e, _, _, _) => onEvent(e)));
        }
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

    /// <summary>
    /// A listener of the HotPath source whose span-start (or span-stop) callback throws for one span name, at most
    /// <c>times</c> times, until stopped.
    /// </summary>
    private sealed class ThrowingListener : IDisposable
    {
        public const string Message = "the listener failed";

        private readonly ActivityListener _listener;
        private volatile bool _throwing = true;
        private int _left;

        public ThrowingListener(string spanName, bool onStop = false, int times = int.MaxValue)
        {
            _left = times;
            Action<Activity> callback = activity =>
            {
                if (_throwing && activity.DisplayName == spanName && Interlocked.Decrement(ref _left) >= 0)
                {
                    throw new InvalidOperationException(Message);
                }
            };
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == HotPathTracing.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = onStop ? null : callback,
                ActivityStopped = onStop ? callback : null,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public void Stop() => _throwing = false;

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A batch handler that hands each event to a delegate.</summary>
    private sealed class DelegateBatchHandler(Action<TestEvent> onEvent) : IBatchHandler<TestEvent>
    {
        public void OnBatch(ReadOnlySpan<TestEvent> events, int partition, long firstOffset)
        {
            foreach (TestEvent @event in events)
            {
                onEvent(@event);
            }
        }
    }
}
