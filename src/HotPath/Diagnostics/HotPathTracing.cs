using System.Diagnostics;

namespace HotPath.Diagnostics;

/// <summary>
/// The library's <see cref="ActivitySource"/>, named <c>HotPath</c> (beside the meter <see cref="HotPathMetrics.MeterName"/>),
/// with spans that follow the OpenTelemetry messaging semantic conventions: a <c>send {topic}</c> span (kind
/// <see cref="ActivityKind.Producer"/>) per publication and a <c>process {topic}</c> span (kind
/// <see cref="ActivityKind.Consumer"/>) per handled event, or per span of events for batch handlers.
/// </summary>
/// <remarks>
/// <para><b>Attributes.</b> <c>messaging.system</c> = <c>hotpath</c>, <c>messaging.operation.name</c> and
/// <c>messaging.operation.type</c> (<c>send</c> or <c>process</c>), <c>messaging.destination.name</c> (the topic),
/// <c>messaging.destination.partition.id</c>, <c>messaging.consumer.group.name</c> (process spans),
/// <c>hotpath.offset</c> (the event's offset, or a batch's first offset; named after the conventions' <c>kafka.offset</c>,
/// which replaced <c>messaging.kafka.offset</c>) and <c>messaging.batch.message_count</c> for a publication or a batch
/// of more than one event. Attributes are set once a listener records the span, not at its creation, so samplers see
/// the name and kind only.</para>
/// <para><b>Cost.</b> Nothing is created unless a listener listens to the source (<see cref="ActivitySource.HasListeners"/>):
/// then a publication or a member's batch pays one well-predicted branch and allocates nothing. With a listener that
/// samples nothing, spans are asked for and refused, and HotPath allocates nothing for them; the runtime itself
/// allocates for each refused request of a root span (one with neither a current activity nor a creation context:
/// 48 B on .NET 10), so a publisher inside a span of its own, on a topic that propagates trace context, runs at 0 B.
/// Recorded spans allocate.</para>
/// <para><b>Trace context from publisher to handler</b> (<see cref="Topics.TopicOptions.PropagateTraceContext"/>, off by
/// default): each partition keeps one trace context per slot, written by the publisher before the event is published
/// (the send span's, or <see cref="Activity.Current"/>'s) and read by the group members of lossless groups. A
/// process span of one event takes it as its parent, so a trace runs from the publisher's work through the handler's
/// (the conventions allow the creation context as the parent of a single message's processing). A batch handler's
/// process span has one parent at most, so it takes none and links every event's context instead (the conventions'
/// batch processing). Lossy groups, which may be lapped mid-read, and events read back from a durable topic's journal get
/// no creation context.</para>
/// <para>Thread-safety: any thread.</para>
/// </remarks>
public static class HotPathTracing
{
    /// <summary>The activity source's name: <c>HotPath</c>.</summary>
    public const string ActivitySourceName = "HotPath";

    internal const string SystemValue = "hotpath";

    internal const string OffsetAttribute = "hotpath.offset";

    /// <summary>The source.</summary>
    internal static ActivitySource Source { get; } = new(ActivitySourceName, typeof(HotPathTracing).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Makes <paramref name="previous"/> the thread's current span again after a listener threw from inside a span's start
    /// or stop (the runtime made the span current before its start listeners ran, and puts the previous one back only
    /// after its stop listeners returned). The runtime refuses a stopped span as current, silently, which would leave the
    /// failed span current: a stopped <paramref name="previous"/> is put back as none.
    /// </summary>
    internal static void RestoreCurrent(Activity? previous) => Activity.Current = previous is { IsStopped: true } ? null : previous;

    /// <summary>Sets the attributes every span of the library carries, once it is recorded.</summary>
    internal static void SetCommonTags(Activity activity, string operation, string topic, string partitionTag, long offset, int count)
    {
        activity.SetTag("messaging.system", SystemValue);
        activity.SetTag("messaging.operation.name", operation);
        activity.SetTag("messaging.operation.type", operation);
        activity.SetTag("messaging.destination.name", topic);
        activity.SetTag("messaging.destination.partition.id", partitionTag);
        activity.SetTag(OffsetAttribute, offset);
        if (count > 1)
        {
            activity.SetTag("messaging.batch.message_count", count);
        }
    }
}
