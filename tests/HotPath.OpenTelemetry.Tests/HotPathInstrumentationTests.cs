using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Topics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace HotPath.OpenTelemetry.Tests;

/// <summary>
/// <c>AddHotPathInstrumentation</c> on OpenTelemetry's builders, exported in memory: spans with the messaging
/// conventions' attributes, the publisher's trace continued in the process span, and the HotPath meter's metrics.
/// The tests of this class share the process-wide listeners of their providers: they run one after the other.
/// </summary>
public sealed class HotPathInstrumentationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly ActivitySource s_application = new("HotPath.OpenTelemetry.Tests.Application");

    [Fact]
    public void AddHotPathInstrumentation_PublishAndProcess_ExportsSendAndProcessSpansWithMessagingAttributes()
    {
        var spans = new List<Activity>();
        using (TracerProvider provider = Sdk.CreateTracerProviderBuilder().AddHotPathInstrumentation().AddInMemoryExporter(spans).Build())
        {
            using var topic = new Topic<Order>(new TopicOptions { Name = "orders", PartitionCount = 2, Capacity = 64 });
            using var group = new ConsumerGroup<Order>(topic, new ConsumerGroupOptions { GroupId = "billing" });
            var handler = new CountingHandler();
            group.Join(handler);
            topic.PublishTo(1, new Order(41));
            Assert.True(SpinWait.SpinUntil(() => handler.Count == 1 && group.GetCommittedOffset("orders", 1) == 1, Timeout));
            group.Dispose();
            Assert.True(provider.ForceFlush());
        }

        Activity send = Assert.Single(spans, s => s.DisplayName == "send orders");
        Assert.Equal(ActivityKind.Producer, send.Kind);
        AssertMessagingTags(send, "send");

        Activity process = Assert.Single(spans, s => s.DisplayName == "process orders");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        AssertMessagingTags(process, "process");
        Assert.Equal("billing", process.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(HotPathTracing.ActivitySourceName, process.Source.Name);
    }

    [Fact]
    public void AddHotPathInstrumentation_PropagateTraceContext_ProcessSpanContinuesThePublishersTrace()
    {
        var spans = new List<Activity>();
        ActivityTraceId traceId;
        using (TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(s_application.Name)
            .AddHotPathInstrumentation()
            .AddInMemoryExporter(spans)
            .Build())
        {
            using var topic = new Topic<Order>(new TopicOptions { Name = "orders", Capacity = 64, PropagateTraceContext = true });
            using var group = new ConsumerGroup<Order>(topic, new ConsumerGroupOptions { GroupId = "billing" });
            var handler = new CountingHandler();
            group.Join(handler);
            using (Activity request = s_application.StartActivity("checkout")!)
            {
                traceId = request.TraceId;
                topic.PublishTo(0, new Order(7));
            }

            Assert.True(SpinWait.SpinUntil(() => handler.Count == 1 && group.GetCommittedOffset("orders", 0) == 1, Timeout));
            group.Dispose();
            Assert.True(provider.ForceFlush());
        }

        Activity checkout = Assert.Single(spans, s => s.DisplayName == "checkout");
        Activity send = Assert.Single(spans, s => s.DisplayName == "send orders");
        Activity process = Assert.Single(spans, s => s.DisplayName == "process orders");
        Assert.Equal(checkout.SpanId, send.ParentSpanId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        Assert.All(new[] { checkout, send, process }, s => Assert.Equal(traceId, s.TraceId));
    }

    [Fact]
    public void AddHotPathInstrumentation_Metrics_ExportsTheHotPathMeter()
    {
        var metrics = new List<MetricSnapshot>();
        using (MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddHotPathInstrumentation().AddInMemoryExporter(metrics).Build())
        {
            using var topic = new Topic<Order>(new TopicOptions { Name = "metered", Capacity = 64 });
            using var group = new ConsumerGroup<Order>(topic, new ConsumerGroupOptions { GroupId = "billing" });
            var handler = new CountingHandler();
            group.Join(handler);
            for (int i = 0; i < 5; i++)
            {
                topic.PublishTo(0, new Order(i));
            }

            Assert.True(SpinWait.SpinUntil(() => handler.Count == 5 && group.GetCommittedOffset("metered", 0) == 5, Timeout));
            Assert.True(provider.ForceFlush());
        }

        Assert.Equal(5, SumFor(metrics, "messaging.client.sent.messages", "metered"));
        Assert.Equal(5, SumFor(metrics, "messaging.client.consumed.messages", "metered"));
        Assert.Contains(metrics, m => m.Name == "messaging.process.duration" && m.MeterName == HotPathMetrics.MeterName);
    }

    [Fact]
    public void AddHotPathInstrumentation_NullBuilder_ThrowsNamingIt()
    {
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => ((TracerProviderBuilder)null!).AddHotPathInstrumentation()).ParamName);
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => ((MeterProviderBuilder)null!).AddHotPathInstrumentation()).ParamName);
    }

    private static void AssertMessagingTags(Activity span, string operation)
    {
        Assert.Equal("hotpath", span.GetTagItem("messaging.system"));
        Assert.Equal(operation, span.GetTagItem("messaging.operation.type"));
        Assert.Equal(operation, span.GetTagItem("messaging.operation.name"));
        Assert.Equal("orders", span.GetTagItem("messaging.destination.name"));
        Assert.Equal("1", span.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(0L, span.GetTagItem("hotpath.offset"));
    }

    /// <summary>The last exported value of a counter for one topic, summed over its other tags.</summary>
    private static long SumFor(List<MetricSnapshot> metrics, string name, string topic)
    {
        long sum = 0;
        MetricSnapshot metric = metrics.Last(m => m.Name == name);
        foreach (MetricPoint point in metric.MetricPoints)
        {
            bool forTopic = false;
            foreach (KeyValuePair<string, object?> tag in point.Tags)
            {
                forTopic |= tag.Key == "messaging.destination.name" && Equals(tag.Value, topic);
            }

            if (forTopic)
            {
                sum += point.GetSumLong();
            }
        }

        return sum;
    }

    private readonly record struct Order(long Id);

    private sealed class CountingHandler : IEventHandler<Order>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch) => Interlocked.Increment(ref _count);
    }
}
