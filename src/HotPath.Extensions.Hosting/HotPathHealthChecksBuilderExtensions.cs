using HotPath.Extensions.Hosting.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HotPath.Extensions.Hosting;

/// <summary>Adds the HotPath health check to <c>services.AddHealthChecks()</c>.</summary>
/// <remarks>Thread-safety: use while registering services.</remarks>
public static class HotPathHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the consumer groups registered with <c>AddHotPath</c>: unhealthy (<paramref name="failureStatus"/>)
    /// when a member faulted or was declared failed, or a lossless group has no live member; degraded when a group's lag is
    /// above its <c>DegradedLag</c> (per group, from configuration or <see cref="GroupBuilder{T}.DegradedLag"/>) or a lossy
    /// group has no live member; healthy otherwise. The result's data holds each group's live members, faulted members,
    /// lag and largest partition lag.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported when unhealthy; null for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, or null.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Thread-safety: not thread-safe; use while registering services.</remarks>
    public static IHealthChecksBuilder AddHotPath(
        this IHealthChecksBuilder builder, string name = "hotpath", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name, static sp => new HotPathHealthCheck(sp.GetRequiredService<HotPathRegistry>()), failureStatus, tags));
    }
}
