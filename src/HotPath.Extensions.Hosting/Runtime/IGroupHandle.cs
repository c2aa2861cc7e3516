using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>A consumer group the registry created, seen without its event type: what start, shutdown and health need.</summary>
/// <remarks>Thread-safety: every member is safe from any thread.</remarks>
internal interface IGroupHandle
{
    /// <summary>The group id.</summary>
    string GroupId { get; }

    /// <summary>The <c>ConsumerGroup&lt;T&gt;</c> itself.</summary>
    object Group { get; }

    /// <summary>The event type.</summary>
    Type EventType { get; }

    /// <summary>The group's options, as it was created with them.</summary>
    ConsumerGroupOptions Options { get; }

    /// <summary>How many members <see cref="StartMembers"/> starts.</summary>
    int MemberCount { get; }

    /// <summary>The lag above which the health check reports the group degraded, or null for no threshold.</summary>
    long? DegradedLag { get; }

    /// <summary>The group's <c>Completion</c>.</summary>
    Task Completion { get; }

    /// <summary>The group's counters per partition.</summary>
    /// <returns>A snapshot.</returns>
    IReadOnlyList<PartitionStats> GetStats();

    /// <summary>The members started so far, with their states.</summary>
    /// <returns>A snapshot.</returns>
    IReadOnlyList<MemberSnapshot> GetMembers();

    /// <summary>Joins the group's members (once).</summary>
    void StartMembers();

    /// <summary>Disposes the group: its members stop after their batch (see <c>ConsumerGroup.Dispose</c>).</summary>
    void Dispose();
}
