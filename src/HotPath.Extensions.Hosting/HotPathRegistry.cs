using HotPath.Consumers;
using HotPath.Extensions.Hosting.Runtime;
using HotPath.Topics;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting;

/// <summary>
/// The topics and consumer groups registered with <c>AddHotPath</c>, by name: resolve it from the container to reach
/// any of them, including several topics of one event type (they are also registered as keyed services,
/// <c>[FromKeyedServices("orders")] Topic&lt;Order&gt;</c>, and unkeyed when a type has one topic or group).
/// </summary>
/// <remarks>
/// Resolving it creates every topic and group (configuration is read and checked then; the hosted service resolves it
/// while the host starts, so a bad configuration fails the start). Groups have no member until the hosted service
/// starts them; from their creation they keep every event they have not committed. The hosted service completes, drains
/// and disposes everything at shutdown; disposing the registry (with the container) disposes what is left.
/// Thread-safety: every public member is safe from any thread.
/// </remarks>
public sealed class HotPathRegistry : IDisposable
{
    private readonly List<ITopicHandle> _topics = [];
    private readonly List<IGroupHandle> _groups = [];
    private int _disposed;

    internal HotPathRegistry(HotPathSetup setup, IServiceProvider services, ILogger logger)
    {
        Logger = logger;
        RegistryFactory.Build(setup, services, logger, _topics, _groups);
    }

    /// <summary>The names of the topics, in registration order.</summary>
    /// <remarks>Thread-safety: immutable.</remarks>
    public IReadOnlyList<string> TopicNames => [.. _topics.Select(t => t.Name)];

    /// <summary>The ids of the groups, in registration order.</summary>
    /// <remarks>Thread-safety: immutable.</remarks>
    public IReadOnlyList<string> GroupIds => [.. _groups.Select(g => g.GroupId)];

    internal ILogger Logger { get; }

    internal IReadOnlyList<ITopicHandle> Topics => _topics;

    internal IReadOnlyList<IGroupHandle> Groups => _groups;

    /// <summary>The topic registered under <paramref name="name"/>.</summary>
    /// <typeparam name="T">Its event type.</typeparam>
    /// <param name="name">The topic's name.</param>
    /// <returns>The topic.</returns>
    /// <exception cref="ArgumentException">No topic has that name, or it holds another event type.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public Topic<T> GetTopic<T>(string name)
        where T : struct
    {
        ITopicHandle topic = _topics.FirstOrDefault(t => t.Name == name)
            ?? throw new ArgumentException($"{nameof(name)} must name a registered topic ({string.Join(", ", TopicNames)}), was '{name}'", nameof(name));
        return topic.Topic as Topic<T>
            ?? throw new ArgumentException($"topic '{name}' holds {topic.EventType.Name} events, was asked for {typeof(T).Name}", nameof(T));
    }

    /// <summary>The consumer group registered under <paramref name="groupId"/>.</summary>
    /// <typeparam name="T">Its event type.</typeparam>
    /// <param name="groupId">The group id.</param>
    /// <returns>The group.</returns>
    /// <exception cref="ArgumentException">No group has that id, or it reads another event type.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public ConsumerGroup<T> GetGroup<T>(string groupId)
        where T : struct
    {
        IGroupHandle group = _groups.FirstOrDefault(g => g.GroupId == groupId)
            ?? throw new ArgumentException($"{nameof(groupId)} must name a registered group ({string.Join(", ", GroupIds)}), was '{groupId}'", nameof(groupId));
        return group.Group as ConsumerGroup<T>
            ?? throw new ArgumentException($"group '{groupId}' reads {group.EventType.Name} events, was asked for {typeof(T).Name}", nameof(T));
    }

    /// <summary>Disposes every group (their members stop after their batch), then every topic. Idempotent.</summary>
    /// <remarks>Thread-safety: any thread; the first call does the work.</remarks>
    public void Dispose()
    {
        // Full fence: one caller disposes; groups before topics, so members commit before a durable topic persists offsets.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (IGroupHandle group in _groups)
        {
            group.Dispose();
        }

        foreach (ITopicHandle topic in _topics)
        {
            topic.Dispose();
        }
    }
}
