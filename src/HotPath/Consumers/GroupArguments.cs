using HotPath.Internal;
using HotPath.Topics;

namespace HotPath.Consumers;

/// <summary>
/// The argument checks of <see cref="ConsumerGroup{T}"/>'s entry points, made before anything is registered or started:
/// each message names the parameter, the rule and the value.
/// </summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class GroupArguments
{
    /// <summary>Throws <see cref="ArgumentNullException"/> for a null handler; for a struct handler the JIT removes the check.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="handler">The handler.</param>
    public static void CheckHandler<THandler>(THandler handler)
    {
        if (handler is null)
        {
            ThrowHelper.ArgumentNull(nameof(handler));
        }
    }

    /// <summary>Throws for an empty member id or group instance id (null means generated, or no static membership).</summary>
    /// <param name="memberId">The member id, or null.</param>
    /// <param name="groupInstanceId">The static member id, or null.</param>
    public static void CheckMemberIds(string? memberId, string? groupInstanceId)
    {
        if (memberId is { Length: 0 })
        {
            ThrowHelper.Argument(nameof(memberId), $"{nameof(memberId)} must be null (for a generated id) or not empty, was ''");
        }

        if (groupInstanceId is { Length: 0 })
        {
            ThrowHelper.Argument(nameof(groupInstanceId), $"{nameof(groupInstanceId)} must be null (no static membership) or not empty, was ''");
        }
    }

    /// <summary>The one topic as a list; throws <see cref="ArgumentNullException"/> naming <paramref name="topic"/> when null.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <returns>A list holding the topic.</returns>
    public static Topic<T>[] SingleTopic<T>(Topic<T> topic)
        where T : struct
    {
        if (topic is null)
        {
            ThrowHelper.ArgumentNull(nameof(topic));
        }

        return [topic];
    }

    /// <summary>Throws <see cref="ArgumentNullException"/> naming <paramref name="topic"/> when the topic name is null.</summary>
    /// <param name="topic">The topic name.</param>
    public static void CheckTopicName(string topic)
    {
        if (topic is null)
        {
            ThrowHelper.ArgumentNull(nameof(topic));
        }
    }
}
