using System.Diagnostics;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>A batch handler wrapped in one process span per span of events, linking each event's trace context (see <see cref="ProcessSpans"/>).</summary>
/// <remarks>Thread-safety: the member's thread.</remarks>
internal struct TracedBatchHandler<T, THandler>(THandler inner, PartitionTracing tracing, string groupId, bool creationContexts) : IBatchHandler<T>
    where T : struct
    where THandler : IBatchHandler<T>
{
    /// <summary>The wrapped handler; handed back to the member after the batch.</summary>
    public THandler Inner = inner;

    public void OnBatch(ReadOnlySpan<T> events, int partition, long firstOffset)
    {
        Activity? previous = Activity.Current;
        Activity? span = ProcessSpans.Start(tracing, groupId, default, firstOffset, events.Length, previous);
        Exception? failure = null;
        try
        {
            if (span is not null && creationContexts && tracing.Propagates)
            {
                for (int i = 0; i < events.Length; i++)
                {
                    ActivityContext context = tracing.CreationContext(firstOffset + i);
                    if (context != default)
                    {
                        span.AddLink(new ActivityLink(context));
                    }
                }
            }

            Inner.OnBatch(events, partition, firstOffset);
            // A failure the handler caught itself is not the dispatch's.
            failure = null;
        }
        catch (Exception ex) when (ProcessSpans.Fail(span, failure = ex))
        {
            throw;
        }
        finally
        {
            ProcessSpans.End(span, previous, failure);
        }
    }
}
