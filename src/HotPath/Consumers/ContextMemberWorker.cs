namespace HotPath.Consumers;

/// <summary>A member worker that calls an <see cref="IContextHandler{T}"/> per event with its <see cref="EventContext"/>.</summary>
/// <remarks>
/// The handler sits in a struct adapter that is the dispatch loop's handler type, so for a struct handler the JIT
/// specialises <see cref="ReadCursor{T}.Dispatch{THandler}"/> as for <see cref="EventMemberWorker{T, THandler}"/>;
/// per batch the adapter is handed the partition's context handle (a field read), per event it builds the context in
/// registers or on the stack. Thread-safety: see <see cref="MemberWorker{T}"/>.
/// </remarks>
internal sealed class ContextMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IContextHandler<T>
{
    private Adapter _adapter;

    public ContextMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler)
        : base(group, memberId, groupInstanceId, core) => _adapter = new Adapter { Handler = handler };

    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        _adapter.Partition = ContextOf(cursor);
        return ProcessSpans.IsListening ? ProcessSpans.Dispatch(cursor, ref _adapter, max, GroupIdOfMember) : cursor.Dispatch(ref _adapter, max);
    }

    private struct Adapter : IEventHandler<T>
    {
        public THandler Handler;
        public ContextPartition Partition;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch) =>
            Handler.OnEvent(in @event, new EventContext(Partition, offset, 1, endOfBatch));
    }
}
