using HotPath.Topics;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A topic registered with <see cref="HotPathBuilder.AddTopic{T}"/>, before it exists.</summary>
/// <remarks>Thread-safety: written while services are registered, read-only once the registry is built.</remarks>
internal interface ITopicRegistration
{
    /// <summary>The topic's name.</summary>
    string Name { get; }

    /// <summary>The event type.</summary>
    Type EventType { get; }

    /// <summary>The code's change to the options (after configuration's), or null.</summary>
    Func<TopicOptions, TopicOptions>? Configure { get; }

    /// <summary>Creates the topic.</summary>
    /// <param name="options">Its options.</param>
    /// <returns>The topic.</returns>
    ITopicHandle Create(TopicOptions options);

    /// <summary>Registers the topic as the unkeyed <c>Topic&lt;T&gt;</c> (its type's only topic).</summary>
    /// <param name="services">The service collection.</param>
    void RegisterUnkeyed(Microsoft.Extensions.DependencyInjection.IServiceCollection services);
}
