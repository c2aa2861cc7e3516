using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Diagnostics;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// The process spans of group members (see <see cref="HotPathTracing"/>): a member's dispatch goes through a traced
/// adapter around its handler only while a listener listens to the source, which the member checks once per batch.
/// </summary>
/// <remarks>
/// One span per event for event handlers (parented to the publisher's trace context when the topic keeps it), one per
/// span of events for batch handlers (linking every event's context: a span has one parent at most). A handler that
/// throws ends its span with status <see cref="ActivityStatusCode.Error"/> and <c>error.type</c>. The adapter holds a
/// copy of the handler for the batch and hands it back afterwards, also when the handler threw, so a struct handler's
/// state carries on as in an untraced dispatch. Thread-safety: the member's thread.
/// </remarks>
internal static class ProcessSpans
{
    /// <summary>True when members should dispatch through the traced adapters: a listener listens to the source.</summary>
    public static bool IsListening
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => HotPathTracing.Source.HasListeners();
    }

    /// <summary>Dispatches through <see cref="TracedEventHandler{T, THandler}"/>; see <see cref="ReadCursor{T}.Dispatch{THandler}"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Dispatch<T, THandler>(ReadCursor<T> cursor, ref THandler handler, int max, string groupId)
        where T : struct
        where THandler : IEventHandler<T>
    {
        var traced = new TracedEventHandler<T, THandler>(handler, cursor.Partition.Tracing, groupId, creationContexts: !cursor.IsLossy);
        try
        {
            return cursor.Dispatch(ref traced, max);
        }
        finally
        {
            handler = traced.Inner;
        }
    }

    /// <summary>Dispatches through <see cref="TracedBatchHandler{T, THandler}"/>; see <see cref="ReadCursor{T}.DispatchBatch{THandler}"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int DispatchBatch<T, THandler>(ReadCursor<T> cursor, ref THandler handler, int max, string groupId)
        where T : struct
        where THandler : IBatchHandler<T>
    {
        var traced = new TracedBatchHandler<T, THandler>(handler, cursor.Partition.Tracing, groupId, creationContexts: !cursor.IsLossy);
        try
        {
            return cursor.DispatchBatch(ref traced, max);
        }
        finally
        {
            handler = traced.Inner;
        }
    }

    /// <summary>Starts a process span (null when no listener samples it) with its attributes once it is recorded.</summary>
    public static Activity? Start(PartitionTracing tracing, string groupId, ActivityContext parent, long offset, int count)
    {
        Activity? span = HotPathTracing.Source.StartActivity(tracing.ProcessName, ActivityKind.Consumer, parent);
        if (span is { IsAllDataRequested: true })
        {
            HotPathTracing.SetCommonTags(span, "process", tracing.TopicName, tracing.PartitionTag, offset, count);
            span.SetTag("messaging.consumer.group.name", groupId);
        }

        return span;
    }

    /// <summary>Marks <paramref name="span"/> failed by <paramref name="exception"/>; false, so that an exception filter lets it pass on.</summary>
    public static bool Fail(Activity? span, Exception exception)
    {
        if (span is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, exception.Message);
            span.SetTag("error.type", exception.GetType().FullName);
        }

        return false;
    }
}
