using System.Collections.Concurrent;
using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Diagnostics;

/// <summary>
/// The HotPath activity source: no cost without a listener or with one that samples nothing, spans with the messaging
/// conventions' names, kinds and attributes, and the publisher's trace context carried to the process span.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class HotPathTracingTests
{
    private const long Events = 400_000;
    private const long Warmup = 100_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly ActivitySource s_application = new("HotPath.Tests.Application");

    public static TheoryData<bool> PropagateOptions => [false, true];

    [Theory]
    [MemberData(nameof(PropagateOptions))]
    public void PublishAndProcess_NoListener_AllocatesNothingPerEvent(bool propagate)
    {
        Assert.False(HotPathTracing.Source.HasListeners());
        (long writer, long member) = PublishAndHandle(propagate);
        Assert.Equal(0, writer);
        Assert.Equal(0, member);
    }

    /// <remarks>
    /// The publisher works inside an application span, so every span HotPath asks for has a parent: the send span the
    /// application's, the process span the creation context the topic carries. (A request for a root span costs the
    /// runtime's own 48 B in <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>, refused or not: see
    /// <see cref="StartActivity_RootSpanRefused_RuntimeAllocatesOnItsOwn"/>.)
    /// </remarks>
    [Fact]
    public void PublishAndProcess_ListenerSamplingNothing_AllocatesNothingPerEvent()
    {
        int asked = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is HotPathTracing.ActivitySourceName or "HotPath.Tests.Application",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
            {
                if (options.Source.Name == HotPathTracing.ActivitySourceName)
                {
                    Interlocked.Increment(ref asked);
                    return ActivitySamplingResult.None;
                }

                return ActivitySamplingResult.AllDataAndRecorded;
            },
        };
        ActivitySource.AddActivityListener(listener);
        Assert.True(HotPathTracing.Source.HasListeners());

        long writer;
        long member;
        using (s_application.StartActivity("request"))
        {
            (writer, member) = PublishAndHandle(propagate: true);
        }

        Assert.Equal(0, writer);
        Assert.Equal(0, member);
        // Asked for a send and a process span per event: the traced paths ran, and refused spans cost nothing.
        Assert.True(Volatile.Read(ref asked) >= 2 * Events, $"the listener was asked {asked} times");
    }

    /// <summary>
    /// Documents the runtime's cost that HotPath cannot avoid: a root span requested from an <see cref="ActivitySource"/>
    /// with a listener allocates even when the listener refuses it, with no HotPath code involved.
    /// </summary>
    [Fact]
    public void StartActivity_RootSpanRefused_RuntimeAllocatesOnItsOwn()
    {
        using var source = new ActivitySource("HotPath.Tests.Root");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
        };
        ActivitySource.AddActivityListener(listener);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Null(source.StartActivity("root", ActivityKind.Consumer));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            source.StartActivity("root", ActivityKind.Consumer);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before > 0, "the runtime no longer allocates for refused root spans: root spans of HotPath are then free too; update HotPathTracing's remarks");
    }

    [Fact]
    public void PublishAndProcess_RecordingListener_SpansCarryConventionNamesKindsAndAttributes()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", PartitionCount = 2, Capacity = 64 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        var handled = new CountingHandler();
        group.Join(handled);
        topic.PublishTo(1, new TestEvent(7));
        topic.PublishTo(1, new TestEvent(8));
        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 2, Timeout));

        Activity[] sends = [.. recorder.Named("send orders").OrderBy(a => (long)a.GetTagItem("hotpath.offset")!)];
        Assert.Equal(2, sends.Length);
        for (int i = 0; i < sends.Length; i++)
        {
            Assert.Equal(ActivityKind.Producer, sends[i].Kind);
            AssertTags(sends[i], "send", offset: i);
            Assert.Null(sends[i].GetTagItem("messaging.consumer.group.name"));
        }

        Activity[] processes = [.. recorder.Named("process orders").OrderBy(a => (long)a.GetTagItem("hotpath.offset")!)];
        for (int i = 0; i < processes.Length; i++)
        {
            Assert.Equal(ActivityKind.Consumer, processes[i].Kind);
            AssertTags(processes[i], "process", offset: i);
            Assert.Equal("billing", processes[i].GetTagItem("messaging.consumer.group.name"));
            // Without trace-context propagation the process span starts its own trace.
            Assert.Equal(default, processes[i].ParentSpanId);
        }
    }

    [Fact]
    public void Process_PropagateTraceContext_ProcessSpanIsChildOfThePublishersSendSpan()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 64, PropagateTraceContext = true });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        group.Join(new CountingHandler());
        ActivityTraceId traceId;
        using (Activity request = s_application.StartActivity("request")!)
        {
            traceId = request.TraceId;
            topic.PublishTo(0, new TestEvent(1));
        }

        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 1, Timeout));
        Activity send = Assert.Single(recorder.Named("send orders"));
        Activity process = Assert.Single(recorder.Named("process orders"));
        Assert.Equal(traceId, send.TraceId);
        Assert.Equal(traceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
    }

    [Fact]
    public void ProcessBatch_PropagateTraceContext_OneSpanPerBatchLinkingEachEventsContext()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 64, PropagateTraceContext = true });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        var gate = new ManualResetEventSlim();
        var handler = new GatedBatchHandler(gate);
        group.JoinBatch(handler);
        // The first batch is held in the handler while three more events are published: they arrive as one batch.
        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => handler.Batches == 1, Timeout));
        var traces = new List<ActivityTraceId>();
        for (int i = 1; i <= 3; i++)
        {
            using Activity request = s_application.StartActivity("request")!;
            traces.Add(request.TraceId);
            topic.PublishTo(0, new TestEvent(i));
        }

        gate.Set();
        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 2, Timeout));
        Activity batch = recorder.Named("process orders").Single(a => (long)a.GetTagItem("hotpath.offset")! == 1);
        Assert.Equal(3, batch.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(default, batch.ParentSpanId);
        Assert.Equal(traces, batch.Links.Select(l => l.Context.TraceId));
    }

    [Fact]
    public void ProcessAsync_HandlerAwaits_ProcessSpanIsCurrentAcrossTheAwaitAndEndsAfterIt()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 64 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        var handler = new AwaitingHandler();
        group.Join(handler);
        topic.PublishTo(0, new TestEvent(3));

        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 1, Timeout));
        Activity process = Assert.Single(recorder.Named("process orders"));
        Assert.Equal(process.SpanId, handler.SpanAfterAwait);
        Assert.True(handler.FinishedAt <= process.StartTimeUtc + process.Duration, "the span ended before the handler's continuation");
    }

    [Fact]
    public void Process_LossyGroupOnPropagatingTopic_ProcessSpanHasNoCreationParent()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 64, PropagateTraceContext = true });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "analytics", Lossy = true });
        group.Join(new CountingHandler());
        using (s_application.StartActivity("request"))
        {
            topic.PublishTo(0, new TestEvent(1));
        }

        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 1, Timeout));
        // A lossy reader may be lapped while it reads: it never reads the per-slot contexts.
        Assert.Equal(default, Assert.Single(recorder.Named("process orders")).ParentSpanId);
    }

    [Fact]
    public void Process_HandlerThrows_SpanEndsWithErrorStatus()
    {
        using var recorder = new SpanRecorder();
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 64 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "billing",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 1, AfterRetries = ErrorAction.Skip },
        });
        group.Join(new ActionHandler((e, _, _, _) => throw new InvalidOperationException("boom " + e.Value)));
        topic.PublishTo(0, new TestEvent(5));

        Assert.True(SpinWait.SpinUntil(() => recorder.Named("process orders").Count == 1, Timeout));
        Activity process = Assert.Single(recorder.Named("process orders"));
        Assert.Equal(ActivityStatusCode.Error, process.Status);
        Assert.Equal("boom 5", process.StatusDescription);
        Assert.Equal(typeof(InvalidOperationException).FullName, process.GetTagItem("error.type"));
    }

    private static void AssertTags(Activity activity, string operation, long offset)
    {
        Assert.Equal("hotpath", activity.GetTagItem("messaging.system"));
        Assert.Equal(operation, activity.GetTagItem("messaging.operation.name"));
        Assert.Equal(operation, activity.GetTagItem("messaging.operation.type"));
        Assert.Equal("orders", activity.GetTagItem("messaging.destination.name"));
        Assert.Equal("1", activity.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(offset, activity.GetTagItem("hotpath.offset"));
    }

    /// <summary>Publishes <see cref="Events"/> events to a one-member group; returns the bytes the writer and the member allocated after the warm-up.</summary>
    private static (long Writer, long Member) PublishAndHandle(bool propagate)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "traced",
            Capacity = 4096,
            PublishMode = PublishMode.SingleWriter,
            PropagateTraceContext = propagate,
        });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "tally" });
        var tally = new Tally();
        group.Join(new TallyHandler(tally));
        Partition<TestEvent> partition = topic[0];
        for (long i = 0; i < Warmup; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = Warmup; i < Events; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        long writer = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref tally.Count) == Events, Timeout), $"handled {tally.Count} of {Events}");
        Assert.Equal(Events * (Events - 1) / 2, tally.Sum);
        return (writer, tally.AllocatedAtLastBatch - tally.AllocatedAtWarmup);
    }

    private sealed class Tally
    {
        public long Count;
        public long Sum;
        public long AllocatedAtWarmup = -1;
        public long AllocatedAtLastBatch = -1;
    }

    private readonly struct TallyHandler(Tally tally) : IContextHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, in EventContext context)
        {
            Tally t = tally;
            t.Sum += @event.Value;
            long count = t.Count + 1;
            if (count == Warmup)
            {
                t.AllocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (context.EndOfBatch && count > Warmup)
            {
                t.AllocatedAtLastBatch = GC.GetAllocatedBytesForCurrentThread();
            }

            // Release: the test reads the count, then the sums and samples written before it.
            Volatile.Write(ref t.Count, count);
        }
    }

    private sealed class CountingHandler : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
        }
    }

    private sealed class AwaitingHandler : IAsyncEventHandler<TestEvent>
    {
        public ActivitySpanId SpanAfterAwait { get; private set; }

        public DateTime FinishedAt { get; private set; }

        public async ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            await Task.Delay(5, cancellationToken);
            SpanAfterAwait = Activity.Current?.SpanId ?? default;
            FinishedAt = DateTime.UtcNow;
        }
    }

    private sealed class GatedBatchHandler(ManualResetEventSlim gate) : IBatchHandler<TestEvent>
    {
        private int _batches;

        public int Batches => Volatile.Read(ref _batches);

        public void OnBatch(ReadOnlySpan<TestEvent> events, int partition, long firstOffset)
        {
            if (Interlocked.Increment(ref _batches) == 1)
            {
                gate.Wait(Timeout);
            }
        }
    }

    /// <summary>Records every stopped span of the HotPath source (and starts the test's own application spans).</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _stopped = new();

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is HotPathTracing.ActivitySourceName or "HotPath.Tests.Application",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> Named(string name) => [.. _stopped.Where(a => a.DisplayName == name)];

        public void Dispose() => _listener.Dispose();
    }
}
