using System.Diagnostics.CodeAnalysis;
using HotPath.Consumers;
using HotPath.Extensions.Hosting.Handlers;
using HotPath.Extensions.Hosting.Runtime;
using HotPath.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HotPath.Extensions.Hosting;

/// <summary>
/// Registers one consumer group: its handler (exactly one), and what configuration does not say (its topics, its
/// member count, options configuration cannot express such as a custom assignor or listener). Returned by
/// <see cref="HotPathBuilder.AddGroup{T}"/>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para><b>Handlers.</b> A class handler is resolved from the container (registered scoped unless you registered it
/// yourself), from a new service scope per batch: <see cref="UseHandler{THandler}()"/> and
/// <see cref="UseBatchHandler{THandler}()"/> open a scope per batch and end it before the batch is committed, so a
/// scoped unit of work (a DbContext) spans a batch; <see cref="UseTransactionalHandler{THandler}()"/> one per transaction;
/// <see cref="UseAsyncHandler{THandler}"/> opens one per event. A
/// struct handler given as a value (<see cref="UseHandler{THandler}(THandler)"/>,
/// <see cref="UseBatchHandler{THandler}(THandler)"/>) is copied into each member and called without virtual dispatch,
/// no scope, no container: the zero-copy fast path of <c>ConsumerGroup.Join</c>.</para>
/// <para><b>Precedence.</b> Configuration (<c>HotPath:Groups</c>) wins over <see cref="Topics"/>, <see cref="Members"/>
/// and <see cref="DegradedLag"/>; <see cref="Configure"/> runs last, on the options configuration produced.</para>
/// <para>Thread-safety: not thread-safe; use it while registering services.</para>
/// </remarks>
public sealed class GroupBuilder<T> : IGroupRegistration
    where T : struct
{
    private readonly IServiceCollection _services;
    private Func<IServiceProvider, Func<ConsumerGroup<T>, string, GroupMember<T>>>? _joiner;
    private string[]? _topics;
    private int? _members;
    private long? _degradedLag;
    private Func<ConsumerGroupOptions, ConsumerGroupOptions>? _configure;
    private string? _handler;

    internal GroupBuilder(IServiceCollection services, string groupId)
    {
        _services = services;
        GroupId = groupId;
    }

    /// <summary>The group id.</summary>
    /// <remarks>Thread-safety: immutable.</remarks>
    public string GroupId { get; }

    Type IGroupRegistration.EventType => typeof(T);

    IReadOnlyList<string>? IGroupRegistration.Topics => _topics;

    int? IGroupRegistration.Members => _members;

    long? IGroupRegistration.DegradedLag => _degradedLag;

    Func<ConsumerGroupOptions, ConsumerGroupOptions>? IGroupRegistration.Configure => _configure;

    string? IGroupRegistration.Handler => _handler;

    /// <summary>The topics the group reads when configuration names none (<c>HotPath:Groups:N:Topics</c>).</summary>
    /// <param name="topics">Topic names registered with <see cref="HotPathBuilder.AddTopic{T}"/>, at least one.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> Topics(params string[] topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Length == 0 || topics.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException(
                $"{nameof(topics)} must name at least one topic, none null or empty, was [{string.Join(", ", topics.Select(t => $"'{t}'"))}]", nameof(topics));
        }

        _topics = [.. topics];
        return this;
    }

    /// <summary>How many members to start when configuration does not say (<c>HotPath:Groups:N:Members</c>); default 1.</summary>
    /// <param name="count">At least 1.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> Members(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _members = count;
        return this;
    }

    /// <summary>
    /// The lag (events not yet committed, over all partitions) above which the health check reports the group
    /// degraded, when configuration does not say (<c>HotPath:Groups:N:DegradedLag</c>). Default: no threshold.
    /// </summary>
    /// <param name="lag">At least 0.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> DegradedLag(long lag)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lag);
        _degradedLag = lag;
        return this;
    }

    /// <summary>
    /// Changes the options configuration produced (or the defaults), for what configuration cannot express: a custom
    /// assignor, a rebalance listener, callbacks. Your listener and callbacks are kept: the integration's logging runs
    /// in front of them.
    /// </summary>
    /// <param name="configure">Returns the options to use, e.g. <c>o =&gt; o with { RebalanceListener = mine }</c>.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> Configure(Func<ConsumerGroupOptions, ConsumerGroupOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configure = configure;
        return this;
    }

    /// <summary>
    /// Handles events one at a time with a handler resolved from the container, a new service scope per batch: opened
    /// at the batch's first event, ended after the event marked <c>endOfBatch</c> (flush there), before the batch is
    /// committed. Registered scoped unless already registered.
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : class, IEventHandler<T>
    {
        _services.TryAddScoped<THandler>();
        return SetJoiner(typeof(THandler).Name, static sp =>
        {
            IServiceScopeFactory scopes = sp.GetRequiredService<IServiceScopeFactory>();
            return (group, id) => group.Join(new ScopedEventHandler<T, THandler>(scopes, StopAfterFailures(group.Options.ErrorPolicy)), id);
        });
    }

    /// <summary>
    /// Handles contiguous spans of events with a handler resolved from the container, a new service scope per batch
    /// (per call). Registered scoped unless already registered.
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseBatchHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : class, IBatchHandler<T>
    {
        _services.TryAddScoped<THandler>();
        return SetJoiner(typeof(THandler).Name, static sp =>
        {
            IServiceScopeFactory scopes = sp.GetRequiredService<IServiceScopeFactory>();
            return (group, id) => group.JoinBatch(new ScopedBatchHandler<T, THandler>(scopes), id);
        });
    }

    /// <summary>
    /// Handles events with an async handler resolved from the container, a new service scope per event (an async
    /// handler sees no batch boundary). Each call gets the member's token. Registered scoped unless already registered.
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseAsyncHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : class, IAsyncEventHandler<T>
    {
        _services.TryAddScoped<THandler>();
        return SetJoiner(typeof(THandler).Name, static sp =>
        {
            IServiceScopeFactory scopes = sp.GetRequiredService<IServiceScopeFactory>();
            return (group, id) => group.Join(new ScopedAsyncHandler<T, THandler>(scopes), id);
        });
    }

    /// <summary>
    /// Consumes, transforms and produces exactly once with a handler resolved from the container, a new service scope
    /// per transaction (one batch; a batch the member hands out again after an abort gets a new scope). The members'
    /// publishers come from the container's <see cref="TransactionCoordinator"/>, registered as a singleton unless you
    /// registered one. The group must be lossless. Registered scoped unless already registered.
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseTransactionalHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : class, ITransactionalHandler<T>
    {
        _services.TryAddScoped<THandler>();
        _services.TryAddSingleton(static _ => new TransactionCoordinator());
        return SetJoiner(typeof(THandler).Name, static sp =>
        {
            IServiceScopeFactory scopes = sp.GetRequiredService<IServiceScopeFactory>();
            TransactionCoordinator coordinator = sp.GetRequiredService<TransactionCoordinator>();
            return (group, id) => group.JoinTransactional(new ScopedTransactionalHandler<T, THandler>(scopes), coordinator, id);
        });
    }

    /// <summary>
    /// Consumes, transforms and produces exactly once with a struct handler given as a value (each member gets a copy,
    /// called without virtual dispatch); the members' publishers come from the container's
    /// <see cref="TransactionCoordinator"/>, registered as a singleton unless you registered one.
    /// </summary>
    /// <typeparam name="THandler">The handler struct.</typeparam>
    /// <param name="handler">The handler value copied into each member.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseTransactionalHandler<THandler>(THandler handler)
        where THandler : struct, ITransactionalHandler<T>
    {
        _services.TryAddSingleton(static _ => new TransactionCoordinator());
        return SetJoiner(typeof(THandler).Name, sp =>
        {
            TransactionCoordinator coordinator = sp.GetRequiredService<TransactionCoordinator>();
            return (group, id) => group.JoinTransactional(handler, coordinator, id);
        });
    }

    /// <summary>
    /// Handles events one at a time with a struct handler given as a value: each member gets a copy and calls it
    /// without virtual dispatch, with no scope and no container (the fast path).
    /// </summary>
    /// <typeparam name="THandler">The handler struct.</typeparam>
    /// <param name="handler">The handler value copied into each member.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseHandler<THandler>(THandler handler)
        where THandler : struct, IEventHandler<T> =>
        SetJoiner(typeof(THandler).Name, _ => (group, id) => group.Join(handler, id));

    /// <summary>
    /// Handles contiguous spans of events with a struct handler given as a value: each member gets a copy and calls it
    /// without virtual dispatch, with no scope and no container (the fast path).
    /// </summary>
    /// <typeparam name="THandler">The handler struct.</typeparam>
    /// <param name="handler">The handler value copied into each member.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> UseBatchHandler<THandler>(THandler handler)
        where THandler : struct, IBatchHandler<T> =>
        SetJoiner(typeof(THandler).Name, _ => (group, id) => group.JoinBatch(handler, id));

    IGroupHandle IGroupRegistration.Create(
        IReadOnlyList<ITopicHandle> topics, ConsumerGroupOptions options, int members, long? degradedLag, IServiceProvider services)
    {
        Func<ConsumerGroup<T>, string, GroupMember<T>> join = _joiner!(services);
        var group = new ConsumerGroup<T>([.. topics.Select(t => ((TopicHandle<T>)t).Typed)], options);
        return new GroupHandle<T>(group, join, members, degradedLag);
    }

    /// <summary>The failed attempts at one event after which <paramref name="policy"/> stops the member, or <see cref="int.MaxValue"/>.</summary>
    private static int StopAfterFailures(ErrorPolicy policy) =>
        policy.AfterRetries == ErrorAction.StopMember ? policy.MaxAttempts : int.MaxValue;

    void IGroupRegistration.RegisterUnkeyed(IServiceCollection services)
    {
        string groupId = GroupId;
        services.AddSingleton(sp => sp.GetRequiredService<HotPathRegistry>().GetGroup<T>(groupId));
    }

    private GroupBuilder<T> SetJoiner(string handler, Func<IServiceProvider, Func<ConsumerGroup<T>, string, GroupMember<T>>> joiner)
    {
        if (_handler is not null)
        {
            throw new InvalidOperationException(
                $"group '{GroupId}' already has the handler {_handler}: a group has exactly one handler, was given {handler} too (add another group for another handler)");
        }

        _handler = handler;
        _joiner = joiner;
        return this;
    }
}
