namespace HotPath.Consumers;

/// <summary>A member worker that calls an <see cref="IEventHandler{T}"/> per event.</summary>
/// <remarks>
/// The handler is a field of its exact type: for a struct handler the JIT specialises
/// <see cref="ReadCursor{T}.Dispatch{THandler}"/> and calls <c>OnEvent</c> directly, with no virtual dispatch.
/// Thread-safety: see <see cref="MemberWorker{T}"/>.
/// </remarks>
internal sealed class EventMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IEventHandler<T>
{
    private THandler _handler;

    public EventMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler)
        : base(group, memberId, groupInstanceId, core) => _handler = handler;

    protected override int Dispatch(ReadCursor<T> cursor, int max) =>
        ProcessSpans.IsListening ? ProcessSpans.Dispatch(cursor, ref _handler, max, GroupIdOfMember) : cursor.Dispatch(ref _handler, max);
}
