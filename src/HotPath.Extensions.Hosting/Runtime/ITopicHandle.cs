using HotPath.Durability;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A topic the registry created, seen without its event type: what shutdown and logging need.</summary>
/// <remarks>Thread-safety: every member is safe from any thread (the topic's own members are).</remarks>
internal interface ITopicHandle
{
    /// <summary>The topic's name.</summary>
    string Name { get; }

    /// <summary>The <c>Topic&lt;T&gt;</c> itself.</summary>
    object Topic { get; }

    /// <summary>The event type.</summary>
    Type EventType { get; }

    /// <summary>What opening a durable topic recovered, or null for an in-memory topic.</summary>
    TopicRecovery? Recovery { get; }

    /// <summary>The sum of the partitions' end offsets: changes whenever anything is published.</summary>
    long PublishedCount { get; }

    /// <summary>Marks the topic complete: publishing throws from now on.</summary>
    void Complete();

    /// <summary>Disposes the topic (a durable one closes its journal).</summary>
    void Dispose();
}
