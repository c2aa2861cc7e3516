using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A topic the registry created, with its event type.</summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="topic">The topic.</param>
/// <remarks>Thread-safety: every member is safe from any thread.</remarks>
internal sealed class TopicHandle<T>(Topic<T> topic) : ITopicHandle
    where T : struct
{
    /// <summary>The typed topic.</summary>
    public Topic<T> Typed => topic;

    /// <inheritdoc/>
    public string Name => topic.Name;

    /// <inheritdoc/>
    public object Topic => topic;

    /// <inheritdoc/>
    public Type EventType => typeof(T);

    /// <inheritdoc/>
    public TopicRecovery? Recovery => topic.Recovery;

    /// <inheritdoc/>
    public long PublishedCount
    {
        get
        {
            long sum = 0;
            foreach (Partition<T> partition in topic.Partitions)
            {
                sum += partition.EndOffset;
            }

            return sum;
        }
    }

    /// <inheritdoc/>
    public void Complete() => topic.Complete();

    /// <inheritdoc/>
    public void Dispose() => topic.Dispose();
}
