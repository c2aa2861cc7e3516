using System.Diagnostics;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>An event handler wrapped in one process span per event (see <see cref="ProcessSpans"/>).</summary>
/// <remarks>Thread-safety: the member's thread.</remarks>
internal struct TracedEventHandler<T, THandler>(THandler inner, PartitionTracing tracing, string groupId, bool creationContexts) : IEventHandler<T>
    where T : struct
    where THandler : IEventHandler<T>
{
    /// <summary>The wrapped handler; handed back to the member after the batch.</summary>
    public THandler Inner = inner;

    public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
    {
        ActivityContext parent = creationContexts ? tracing.CreationContext(offset) : default;
        Activity? previous = Activity.Current;
        Activity? span = ProcessSpans.Start(tracing, groupId, parent, offset, 1, previous);
        Exception? failure = null;
        try
        {
            Inner.OnEvent(in @event, partition, offset, endOfBatch);
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
