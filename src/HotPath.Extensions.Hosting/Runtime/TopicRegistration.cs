using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A topic of <typeparamref name="T"/> registered in code.</summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="name">The topic's name.</param>
/// <param name="configure">The code's change to the options, or null.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed class TopicRegistration<T>(string name, Func<TopicOptions, TopicOptions>? configure) : ITopicRegistration
    where T : struct
{
    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public Type EventType => typeof(T);

    /// <inheritdoc/>
    public Func<TopicOptions, TopicOptions>? Configure => configure;

    /// <inheritdoc/>
    public ITopicHandle Create(TopicOptions options) => new TopicHandle<T>(new Topic<T>(options));

    /// <inheritdoc/>
    public void RegisterUnkeyed(IServiceCollection services) =>
        services.AddSingleton(sp => sp.GetRequiredService<HotPathRegistry>().GetTopic<T>(name));
}
