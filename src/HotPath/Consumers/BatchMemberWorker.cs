namespace HotPath.Consumers;

/// <summary>A member worker that calls an <see cref="IBatchHandler{T}"/> with spans of the ring.</summary>
/// <remarks>Thread-safety: see <see cref="MemberWorker{T}"/>.</remarks>
internal sealed class BatchMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IBatchHandler<T>
{
    private THandler _handler;

    public BatchMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler)
        : base(group, memberId, groupInstanceId, core) => _handler = handler;

    protected override int Dispatch(ReadCursor<T> cursor, int max) =>
        ProcessSpans.IsListening ? ProcessSpans.DispatchBatch(cursor, ref _handler, max, GroupIdOfMember) : cursor.DispatchBatch(ref _handler, max);
}
