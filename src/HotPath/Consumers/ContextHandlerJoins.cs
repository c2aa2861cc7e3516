namespace HotPath.Consumers;

/// <summary>
/// The <c>Join</c> and <c>JoinBatch</c> overloads for handlers that take an <see cref="EventContext"/>:
/// <c>group.Join(new MyContextHandler())</c> reads like the other joins (the compiler picks these when the handler
/// implements only the context interface).
/// </summary>
/// <remarks>Each behaves as the <see cref="ConsumerGroup{T}"/> method of the same name (its exceptions included).
/// Thread-safety: safe from any thread, as the group's own joins.</remarks>
public static class ContextHandlerJoins
{
    /// <summary>Adds a member that handles events one at a time with their context; returns once the group has rebalanced.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <typeparam name="THandler">A struct handler is called without virtual dispatch.</typeparam>
    /// <param name="group">The group.</param>
    /// <param name="handler">The member's handler; only the member's thread calls it.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id (Kafka's <c>group.instance.id</c>), or null.</param>
    /// <returns>The member.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> or <paramref name="handler"/> is null.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "ApiDesign",
        "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Nothing has shipped yet; every handler kind joins through Join, with Join's optional ids.")]
    public static GroupMember<T> Join<T, THandler>(this ConsumerGroup<T> group, THandler handler, string? memberId = null, string? groupInstanceId = null)
        where T : struct
        where THandler : IContextHandler<T>
    {
        CheckGroup(group);
        GroupArguments.CheckHandler(handler);
        return group.AddMember(memberId, groupInstanceId, (id, core) => new ContextMemberWorker<T, THandler>(group, id, groupInstanceId, core, handler));
    }

    /// <summary>Adds a member that handles contiguous spans of events with their context.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <typeparam name="THandler">The batch handler type.</typeparam>
    /// <param name="group">The group.</param>
    /// <param name="handler">The member's handler.</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <returns>The member.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> or <paramref name="handler"/> is null.</exception>
    public static GroupMember<T> JoinBatch<T, THandler>(this ConsumerGroup<T> group, THandler handler, string? memberId = null, string? groupInstanceId = null)
        where T : struct
        where THandler : IContextBatchHandler<T>
    {
        CheckGroup(group);
        GroupArguments.CheckHandler(handler);
        return group.AddMember(memberId, groupInstanceId, (id, core) => new ContextBatchMemberWorker<T, THandler>(group, id, groupInstanceId, core, handler));
    }

    /// <summary>Adds a member whose handler awaits, with each event's context; the member's thread waits for each call.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="group">The group.</param>
    /// <param name="handler">The member's handler (an asynchronous call costs far more than the one interface call).</param>
    /// <param name="memberId">A unique member id, or null for a generated one.</param>
    /// <param name="groupInstanceId">A static member id, or null.</param>
    /// <returns>The member.</returns>
    /// <remarks>A <c>Join</c> as for every other handler kind (there is no <c>JoinAsync</c> to await by mistake): the
    /// compiler picks this overload for a handler that implements <see cref="IAsyncContextHandler{T}"/> only, since the
    /// generic <c>Join</c> overloads are dropped when their constraints fail.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> or <paramref name="handler"/> is null.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "ApiDesign",
        "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Nothing has shipped yet; every handler kind joins through Join, with Join's optional ids.")]
    public static GroupMember<T> Join<T>(this ConsumerGroup<T> group, IAsyncContextHandler<T> handler, string? memberId = null, string? groupInstanceId = null)
        where T : struct
    {
        CheckGroup(group);
        GroupArguments.CheckHandler(handler);
        return group.AddMember(
            memberId, groupInstanceId, (id, core) => new AsyncMemberWorker<T, IAsyncContextHandler<T>>(group, id, groupInstanceId, core, handler));
    }

    private static void CheckGroup<T>(ConsumerGroup<T> group)
        where T : struct
    {
        if (group is null)
        {
            Internal.ThrowHelper.ArgumentNull(nameof(group));
        }
    }
}
