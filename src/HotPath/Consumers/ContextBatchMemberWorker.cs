namespace HotPath.Consumers;

/// <summary>A member worker that calls an <see cref="IContextBatchHandler{T}"/> with spans of the ring and their <see cref="EventContext"/>.</summary>
/// <remarks>Thread-safety: see <see cref="MemberWorker{T}"/>; the adapter as in <see cref="ContextMemberWorker{T, THandler}"/>.</remarks>
internal sealed class ContextBatchMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IContextBatchHandler<T>
{
    private Adapter _adapter;

    public ContextBatchMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler)
        : base(group, memberId, groupInstanceId, core) => _adapter = new Adapter { Handler = handler };

    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        _adapter.Partition = ContextOf(cursor);
        return ProcessSpans.IsListening ? ProcessSpans.DispatchBatch(cursor, ref _adapter, max, GroupIdOfMember) : cursor.DispatchBatch(ref _adapter, max);
    }

    private struct Adapter : IBatchHandler<T>
    {
        public THandler Handler;
        public ContextPartition Partition;

        public void OnBatch(ReadOnlySpan<T> events, int partition, long firstOffset) =>
            Handler.OnBatch(events, new EventContext(Partition, firstOffset, events.Length, endOfBatch: true));
    }
}
