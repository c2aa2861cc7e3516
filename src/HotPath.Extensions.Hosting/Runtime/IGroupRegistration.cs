using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A group registered with <see cref="HotPathBuilder.AddGroup{T}"/>, before it exists.</summary>
/// <remarks>Thread-safety: written while services are registered, read-only once the registry is built.</remarks>
internal interface IGroupRegistration
{
    /// <summary>The group id.</summary>
    string GroupId { get; }

    /// <summary>The event type.</summary>
    Type EventType { get; }

    /// <summary>The topics named in code, or null (configuration's <c>Topics</c> wins).</summary>
    IReadOnlyList<string>? Topics { get; }

    /// <summary>The member count set in code, or null (configuration's <c>Members</c> wins; default 1).</summary>
    int? Members { get; }

    /// <summary>The health check's lag threshold set in code, or null (configuration's <c>DegradedLag</c> wins).</summary>
    long? DegradedLag { get; }

    /// <summary>The code's change to the options (after configuration's), or null.</summary>
    Func<ConsumerGroupOptions, ConsumerGroupOptions>? Configure { get; }

    /// <summary>A description of the handler, or null when none was given.</summary>
    string? Handler { get; }

    /// <summary>Creates the group (no member yet).</summary>
    /// <param name="topics">Its topics, all of the registration's event type.</param>
    /// <param name="options">Its options.</param>
    /// <param name="members">How many members it starts.</param>
    /// <param name="degradedLag">The health check's lag threshold, or null.</param>
    /// <param name="services">The container, for handlers resolved from it.</param>
    /// <returns>The group.</returns>
    IGroupHandle Create(IReadOnlyList<ITopicHandle> topics, ConsumerGroupOptions options, int members, long? degradedLag, IServiceProvider services);

    /// <summary>Registers the group as the unkeyed <c>ConsumerGroup&lt;T&gt;</c> (its type's only group).</summary>
    /// <param name="services">The service collection.</param>
    void RegisterUnkeyed(Microsoft.Extensions.DependencyInjection.IServiceCollection services);
}
