using HotPath.Consumers;
using HotPath.Extensions.Hosting.Runtime;
using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting;

/// <summary>
/// Registers topics and consumer groups in <c>AddHotPath</c>. Code says what configuration cannot: each topic's event
/// type and each group's handler; configuration (the <c>HotPath</c> section) says the rest, and wins where both speak.
/// </summary>
/// <remarks>Thread-safety: not thread-safe; use it inside the <c>AddHotPath</c> callback.</remarks>
public sealed class HotPathBuilder
{
    private readonly List<ITopicRegistration> _topics = [];
    private readonly List<IGroupRegistration> _groups = [];

    internal HotPathBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, to register handlers' dependencies.</summary>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public IServiceCollection Services { get; }

    internal IReadOnlyList<ITopicRegistration> Topics => _topics;

    internal IReadOnlyList<IGroupRegistration> Groups => _groups;

    internal TimeSpan? DrainTimeoutValue { get; private set; }

    /// <summary>
    /// Registers topic <paramref name="name"/> of <typeparamref name="T"/> events. Its options come from its entry in
    /// <c>HotPath:Topics</c> (the one whose <c>Topic</c> is <paramref name="name"/>), or are the defaults when there is
    /// none; <paramref name="configure"/> then changes them. Resolvable as the keyed service <c>Topic&lt;T&gt;</c>
    /// <paramref name="name"/>, from <see cref="HotPathRegistry.GetTopic{T}"/>, and unkeyed when it is the only topic of
    /// <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="name">The topic's name, unique.</param>
    /// <param name="configure">Changes the options configuration produced (it must keep the name), or null.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already registered.</exception>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public HotPathBuilder AddTopic<T>(string name, Func<TopicOptions, TopicOptions>? configure = null)
        where T : struct
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_topics.Any(t => t.Name == name))
        {
            throw new ArgumentException($"{nameof(name)} must be unique: topic '{name}' is already registered", nameof(name));
        }

        _topics.Add(new TopicRegistration<T>(name, configure));
        Services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredService<HotPathRegistry>().GetTopic<T>((string)key!));
        return this;
    }

    /// <summary>
    /// Registers consumer group <paramref name="groupId"/> over topics of <typeparamref name="T"/> events; give it a
    /// handler on the returned builder. Its options come from its entry in <c>HotPath:Groups</c> (the one whose
    /// <c>GroupId</c> is <paramref name="groupId"/>), or are the defaults. Resolvable as the keyed service
    /// <c>ConsumerGroup&lt;T&gt;</c> <paramref name="groupId"/>, from <see cref="HotPathRegistry.GetGroup{T}"/>, and
    /// unkeyed when it is the only group of <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="groupId">The group id, unique.</param>
    /// <returns>The group's builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="groupId"/> is empty or already registered.</exception>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public GroupBuilder<T> AddGroup<T>(string groupId)
        where T : struct
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        if (_groups.Any(g => g.GroupId == groupId))
        {
            throw new ArgumentException($"{nameof(groupId)} must be unique: group '{groupId}' is already registered", nameof(groupId));
        }

        var group = new GroupBuilder<T>(Services, groupId);
        _groups.Add(group);
        Services.AddKeyedSingleton(groupId, static (sp, key) => sp.GetRequiredService<HotPathRegistry>().GetGroup<T>((string)key!));
        return group;
    }

    /// <summary>
    /// Ends the shutdown drain after <paramref name="timeout"/> (counted from the start of the host's stop) even when the
    /// host's own bound is further away, so that stopping the members (at most each group's <c>ShutdownTimeout</c>)
    /// also fits in the host's <c>ShutdownTimeout</c>: set it to that minus the largest group <c>ShutdownTimeout</c>.
    /// Default: the drain lasts until the host's shutdown token is cancelled.
    /// </summary>
    /// <param name="timeout">Positive.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Thread-safety: not thread-safe.</remarks>
    public HotPathBuilder DrainTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        DrainTimeoutValue = timeout;
        return this;
    }

    /// <summary>Registers the unkeyed topics and groups: a type's only topic or group.</summary>
    internal void RegisterUnkeyed()
    {
        foreach (IGrouping<Type, ITopicRegistration> byType in _topics.GroupBy(t => t.EventType).Where(g => g.Count() == 1))
        {
            byType.Single().RegisterUnkeyed(Services);
        }

        foreach (IGrouping<Type, IGroupRegistration> byType in _groups.GroupBy(g => g.EventType).Where(g => g.Count() == 1))
        {
            byType.Single().RegisterUnkeyed(Services);
        }
    }
}
