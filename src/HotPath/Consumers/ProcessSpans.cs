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
    /// <summary>
    /// The key under which a handler's exception carries the exception a tracing listener threw as the handler's process
    /// span stopped (see <see cref="End"/>).
    /// </summary>
    public const string ListenerExceptionKey = "HotPath.TracingListenerException";

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

    /// <summary>
    /// Starts a process span (null when no listener samples it) with its attributes once it is recorded;
    /// <paramref name="previous"/> is the member's current span before it, put back if a listener throws.
    /// </summary>
    /// <remarks>
    /// A listener is the application's code, called by the runtime after it made the new span current: when it throws,
    /// the current span is put back and the exception fails the dispatch like the handler's own would (the handler has
    /// not run), so later spans do not take a span nobody ends for their parent.
    /// </remarks>
    public static Activity? Start(PartitionTracing tracing, string groupId, ActivityContext parent, long offset, int count, Activity? previous)
    {
        Activity? span;
        try
        {
            span = HotPathTracing.Source.StartActivity(tracing.ProcessName, ActivityKind.Consumer, parent);
        }
        catch
        {
            HotPathTracing.RestoreCurrent(previous);
            throw;
        }

        if (span is { IsAllDataRequested: true })
        {
            HotPathTracing.SetCommonTags(span, "process", tracing.TopicName, tracing.PartitionTag, offset, count);
            span.SetTag("messaging.consumer.group.name", groupId);
        }

        return span;
    }

    /// <summary>
    /// Ends <paramref name="span"/> (in a finally). A listener that throws on the stop fails the dispatch with its
    /// exception. When the handler failed too (<paramref name="failure"/>), the handler's exception goes on, its type
    /// intact (the member tells a stop's cancellation or a fenced transaction from a failure by it), carrying the
    /// listener's in its <see cref="Exception.Data"/> under <see cref="ListenerExceptionKey"/>, so neither is lost. The
    /// current span is put back to <paramref name="previous"/>, which the runtime does only after its listeners returned.
    /// </summary>
    public static void End(Activity? span, Activity? previous, Exception? failure)
    {
        if (span is null)
        {
            return;
        }

        try
        {
            span.Dispose();
        }
        catch (Exception listener)
        {
            HotPathTracing.RestoreCurrent(previous);
            if (failure is null)
            {
                throw;
            }

            failure.Data[ListenerExceptionKey] = listener;
        }
    }

    /// <summary>
    /// Marks <paramref name="span"/> failed by <paramref name="exception"/>; false, so that an exception filter lets it
    /// pass on (the caller's filter also keeps it for <see cref="End"/>).
    /// </summary>
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
