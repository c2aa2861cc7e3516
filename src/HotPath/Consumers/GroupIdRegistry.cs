using System.Runtime.CompilerServices;

namespace HotPath.Consumers;

/// <summary>
/// The group ids that read each topic: one group id on one topic is one group (its members share the partitions), so a
/// second <c>ConsumerGroup</c> with the same id on the same topic is refused instead of silently getting every event too.
/// </summary>
/// <remarks>
/// Design: a weak table keyed by the topic object (a topic that is no longer referenced drops its entry), holding the
/// set of ids; every access holds <c>s_lock</c> (construction and disposal only, never a hot path).
/// Thread-safety: any thread.
/// </remarks>
internal static class GroupIdRegistry
{
    private static readonly ConditionalWeakTable<object, HashSet<string>> s_byTopic = [];
    private static readonly object s_lock = new();

    /// <summary>Takes <paramref name="groupId"/> on <paramref name="topic"/>; false when a live group holds it.</summary>
    /// <param name="topic">The topic object.</param>
    /// <param name="groupId">The group id.</param>
    /// <returns>True when the id was free and is now taken.</returns>
    public static bool TryClaim(object topic, string groupId)
    {
        lock (s_lock)
        {
            return s_byTopic.GetOrCreateValue(topic).Add(groupId);
        }
    }

    /// <summary>Gives <paramref name="groupId"/> back on <paramref name="topic"/>. Idempotent.</summary>
    /// <param name="topic">The topic object.</param>
    /// <param name="groupId">The group id.</param>
    public static void Release(object topic, string groupId)
    {
        lock (s_lock)
        {
            if (s_byTopic.TryGetValue(topic, out HashSet<string>? ids))
            {
                ids.Remove(groupId);
            }
        }
    }
}
