using HotPath.Consumers;
using HotPath.Extensions.Hosting.Runtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HotPath.Extensions.Hosting.Health;

/// <summary>
/// The health of the registry's consumer groups, from their members' states and <c>ConsumerGroup.GetStats()</c>:
/// unhealthy when a member faulted or was declared failed, or a lossless group has no live member (nothing handles its
/// events while the writers wait for it); degraded when a group's lag is above its <c>DegradedLag</c>, or a lossy group
/// has no live member; healthy otherwise. The data holds, per group, its live members, faulted members, lag and
/// the largest partition lag (keys <c>{groupId}.members</c>, <c>{groupId}.faulted</c>, <c>{groupId}.lag</c>,
/// <c>{groupId}.maxPartitionLag</c>).
/// </summary>
/// <param name="registry">The topics and groups.</param>
/// <remarks>Thread-safety: any thread (reads snapshots).</remarks>
internal sealed class HotPathHealthCheck(HotPathRegistry registry) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var unhealthy = new List<string>();
        var degraded = new List<string>();
        foreach (IGroupHandle group in registry.Groups)
        {
            IReadOnlyList<MemberSnapshot> members = group.GetMembers();
            IReadOnlyList<PartitionStats> stats = group.GetStats();
            int live = members.Count(static m => m.State == MemberState.Running);
            MemberSnapshot[] faulted = [.. members.Where(static m => m.State is MemberState.Faulted or MemberState.Failed)];
            long lag = HotPathHostedService.LagOf(stats);
            data[$"{group.GroupId}.members"] = live;
            data[$"{group.GroupId}.faulted"] = faulted.Length;
            data[$"{group.GroupId}.lag"] = lag;
            data[$"{group.GroupId}.maxPartitionLag"] = stats.Count == 0 ? 0L : stats.Max(static s => s.Lag);
            foreach (MemberSnapshot member in faulted)
            {
                unhealthy.Add($"group '{group.GroupId}': member {member.MemberId} is {member.State} ({member.Fault?.GetType().Name}: {member.Fault?.Message})");
            }

            if (live == 0)
            {
                (group.Options.Lossy ? degraded : unhealthy).Add(
                    $"group '{group.GroupId}' has no live member{(group.Options.Lossy ? " (lossy: it misses what is published)" : ": the writers wait for it")}");
            }

            if (group.DegradedLag is long threshold && lag > threshold)
            {
                degraded.Add($"group '{group.GroupId}' lags {lag} events, above its DegradedLag of {threshold}");
            }
        }

        HealthCheckResult result = unhealthy.Count > 0
            ? new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", unhealthy.Concat(degraded)), data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded(string.Join("; ", degraded), data: data)
                : HealthCheckResult.Healthy($"{registry.Groups.Count} group(s) running", data);
        return Task.FromResult(result);
    }
}
