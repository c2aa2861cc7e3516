using HotPath.Internal;

namespace HotPath.Consumers;

/// <content>
/// Joining: a member for each handler kind (events, spans, async, transactional) and a pull consumer; each ends in
/// <c>AddMember</c>, which rebalances the group on the calling thread.
/// </content>
public sealed partial class ConsumerGroup<T>
{
    /// <summary>
    /// Adds a member that handles events one at a time; returns once the group has rebalanced. Throws
    /// <see cref="TimeoutException"/>, and adds no member, when the new member does not take its partitions within
    /// <see cref="ConsumerGroupOptions.RebalanceTimeout"/> (the same for <c>JoinBatch</c> and the async handlers' <c>Join</c>). A member
    /// that took its partitions and then failed in a later round of the same rebalance (stuck in its handler or its
    /// rebalance listener) is returned in state <see cref="MemberState.Failed"/> and reported to
    /// <see cref="ConsumerGroupOptions.OnMemberFailed"/>, like any failure.
    /// </summary>
    /// <typeparam name="THandler">A struct handler is called without virtual dispatch.</typeparam>
    /// <param name="handler">The member's handler; only the member's thread calls it.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id (Kafka's <c>group.instance.id</c>), or null.</param>
    /// <returns>The member.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null (the same for every Join method).</exception>
    /// <exception cref="ArgumentException"><paramref name="memberId"/> or <paramref name="groupInstanceId"/> is empty, or the id is taken.</exception>
    /// <exception cref="InvalidOperationException">The group has drained and completed (see <see cref="Completion"/>): the
    /// same for every Join method.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "ApiDesign",
        "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Nothing has shipped yet; Join also takes async handlers (the IAsyncEventHandler overload), with the same optional ids.")]
    public GroupMember<T> Join<THandler>(THandler handler, string? memberId = null, string? groupInstanceId = null)
        where THandler : IEventHandler<T>
    {
        GroupArguments.CheckHandler(handler);
        return AddMember(memberId, groupInstanceId, (id, core) => new EventMemberWorker<T, THandler>(this, id, groupInstanceId, core, handler));
    }

    /// <summary>Adds a member that handles contiguous spans of events.</summary>
    /// <typeparam name="THandler">The batch handler type.</typeparam>
    /// <param name="handler">The member's handler.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <returns>The member.</returns>
    public GroupMember<T> JoinBatch<THandler>(THandler handler, string? memberId = null, string? groupInstanceId = null)
        where THandler : IBatchHandler<T>
    {
        GroupArguments.CheckHandler(handler);
        return AddMember(memberId, groupInstanceId, (id, core) => new BatchMemberWorker<T, THandler>(this, id, groupInstanceId, core, handler));
    }

    /// <summary>
    /// Adds a member whose handler awaits; the member's thread waits for each call, so order holds. Each call gets the
    /// member's token, cancelled when the member stops (see <see cref="IAsyncEventHandler{T}.OnEventAsync"/>). Returns once
    /// the group has rebalanced, as the other Join methods.
    /// </summary>
    /// <param name="handler">The member's handler, called through the interface: a struct handler is boxed once here (the
    /// member's copy), and each event costs one interface call next to the <see cref="ValueTask"/> it awaits.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <returns>The member.</returns>
    /// <remarks>
    /// <para>Overload resolution picks this method for any handler that implements <see cref="IAsyncEventHandler{T}"/>
    /// but not <see cref="IEventHandler{T}"/>, struct or class: the generic <c>Join&lt;THandler&gt;</c> is dropped when its
    /// constraint fails (C# 7.3 and later). A handler implementing both goes to the generic one (an identity conversion
    /// beats the conversion to this interface) and is called synchronously.</para>
    /// <para>Thread-safety: any thread.</para>
    /// </remarks>
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "ApiDesign",
        "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Nothing has shipped yet; the overload exists so that Join takes async handlers, with Join's optional ids.")]
    public GroupMember<T> Join(IAsyncEventHandler<T> handler, string? memberId = null, string? groupInstanceId = null)
    {
        GroupArguments.CheckHandler(handler);
        return AddMember(
            memberId,
            groupInstanceId,
            (id, core) => new AsyncMemberWorker<T, AsyncEventHandlerAdapter<T, IAsyncEventHandler<T>>>(this, id, groupInstanceId, core, new(handler)));
    }

    /// <summary>
    /// Adds a pull consumer: a member that the caller polls with <c>Consume</c> or <c>await foreach</c> instead of handing
    /// events to a handler (see <see cref="GroupConsumer{T}"/>). It owns partitions, takes part in rebalances and commits
    /// what it consumed like any member. Events are copied out for it (two copies per event); the push handlers of
    /// <c>Join</c> and <c>JoinBatch</c> are the zero-copy path. Its fetch thread copies up to <paramref name="prefetch"/>
    /// events ahead of the calls; the copies not consumed when a partition leaves are dropped and read again by the next
    /// owner. Returns once the group has rebalanced; throws as <c>Join</c> does.
    /// </summary>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <param name="prefetch">The most events copied ahead of the calls: from 1 to <see cref="GroupConsumer{T}.MaxPrefetch"/>.</param>
    /// <returns>The consumer; dispose it to leave the group.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefetch"/> is out of range.</exception>
    public GroupConsumer<T> JoinConsumer(string? memberId = null, string? groupInstanceId = null, int prefetch = GroupConsumer<T>.DefaultPrefetch)
    {
        if (prefetch < 1 || prefetch > GroupConsumer<T>.MaxPrefetch)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(prefetch), $"must be from 1 to {GroupConsumer<T>.MaxPrefetch}", prefetch);
        }

        GroupMember<T> member = AddMember(memberId, groupInstanceId, (id, core) => new PullMemberWorker<T>(this, id, groupInstanceId, core, prefetch));
        return new GroupConsumer<T>(member, GroupId);
    }

    /// <summary>
    /// Adds a member that consumes, transforms and produces exactly once: each batch it hands to
    /// <paramref name="handler"/> runs inside a transaction of the member's own publisher, which commits the handler's
    /// outputs and the batch's input offsets together (see <see cref="ITransactionalHandler{T}"/>). The publisher's
    /// transactional id is <c>{GroupId}/{groupInstanceId ?? memberId}</c>, so a static member that comes back fences its
    /// previous instance.
    /// </summary>
    /// <typeparam name="THandler">The transactional handler type.</typeparam>
    /// <param name="handler">The member's handler.</param>
    /// <param name="coordinator">The transaction coordinator that hands out the member's publisher and times its transactions out.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <returns>The member.</returns>
    /// <exception cref="InvalidOperationException">The group is lossy: a lossy group skips what it misses, which no
    /// transaction can make exactly once.</exception>
    public GroupMember<T> JoinTransactional<THandler>(
        THandler handler, Transactions.TransactionCoordinator coordinator, string? memberId = null, string? groupInstanceId = null)
        where THandler : ITransactionalHandler<T>
    {
        GroupArguments.CheckHandler(handler);
        if (coordinator is null)
        {
            ThrowHelper.ArgumentNull(nameof(coordinator));
        }

        if (Options.Lossy)
        {
            ThrowHelper.InvalidOperation($"group '{GroupId}' is lossy: a transactional member needs a lossless group (Lossy=false)");
        }

        return AddMember(
            memberId,
            groupInstanceId,
            (id, core) => new TransactionalMemberWorker<T, THandler>(
                this, id, groupInstanceId, core, handler, coordinator.CreatePublisher($"{GroupId}/{groupInstanceId ?? id}")));
    }
}
