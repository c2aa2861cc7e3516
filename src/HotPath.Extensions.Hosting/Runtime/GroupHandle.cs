using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A consumer group the registry created, with its event type and the way its members join.</summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="group">The group.</param>
/// <param name="join">Joins one member with the given id (the handler kind is decided by the registration).</param>
/// <param name="memberCount">How many members to start.</param>
/// <param name="degradedLag">The health check's lag threshold, or null.</param>
/// <remarks>Thread-safety: every member is safe from any thread; the member list is guarded by its own lock.</remarks>
internal sealed class GroupHandle<T>(ConsumerGroup<T> group, Func<ConsumerGroup<T>, string, GroupMember<T>> join, int memberCount, long? degradedLag)
    : IGroupHandle
    where T : struct
{
    private readonly List<GroupMember<T>> _members = [];

    /// <summary>The typed group.</summary>
    public ConsumerGroup<T> Typed => group;

    /// <inheritdoc/>
    public string GroupId => group.GroupId;

    /// <inheritdoc/>
    public object Group => group;

    /// <inheritdoc/>
    public Type EventType => typeof(T);

    /// <inheritdoc/>
    public ConsumerGroupOptions Options => group.Options;

    /// <inheritdoc/>
    public int MemberCount => memberCount;

    /// <inheritdoc/>
    public long? DegradedLag => degradedLag;

    /// <inheritdoc/>
    public Task Completion => group.Completion;

    /// <inheritdoc/>
    public IReadOnlyList<PartitionStats> GetStats() => group.GetStats();

    /// <inheritdoc/>
    public IReadOnlyList<MemberSnapshot> GetMembers()
    {
        lock (_members)
        {
            return [.. _members.Select(m => new MemberSnapshot(m.MemberId, m.State, m.Fault))];
        }
    }

    /// <inheritdoc/>
    public void StartMembers()
    {
        lock (_members)
        {
            // Ids name the group and the member's rank, so that every log line says which member it is.
            for (int i = _members.Count; i < memberCount; i++)
            {
                _members.Add(join(group, $"{group.GroupId}-{i + 1}"));
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => group.Dispose();
}
