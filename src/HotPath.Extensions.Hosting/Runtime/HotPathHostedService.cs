using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Extensions.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>
/// Starts and stops the registry's topics and groups with the host.
/// </summary>
/// <remarks>
/// <para><b>Start.</b> <see cref="StartingAsync"/> (before any hosted service's <c>StartAsync</c>) resolves the registry:
/// configuration is read and checked, topics and groups are created, so a bad configuration fails the host's start and
/// every group gates its topics before anything publishes. <see cref="StartAsync"/> joins the members.</para>
/// <para><b>Stop, in order</b>, in <see cref="StoppedAsync"/>: after every hosted service's <c>StopAsync</c>, so the
/// application's publishers (a <c>BackgroundService</c>) have stopped. (1) Wait until the work in flight settles: every
/// lossless group has committed everything published, and nothing was published since the last look (a handler that
/// publishes into another topic is work in flight). (2) Publishing stops: every topic completes (a late publish throws).
/// (3) The groups drain: their <c>Completion</c>. (4) The members stop (the groups are disposed, all at once), then the
/// topics are disposed (a durable one journals what was published, persists the committed offsets and closes).</para>
/// <para><b>The bound.</b> Steps 1 to 3 end when the host's shutdown token is cancelled (its <c>ShutdownTimeout</c>), or
/// after the builder's <see cref="HotPathBuilder.DrainTimeout"/>. Then a warning names each group that had not drained
/// and its unhandled lag, the topics complete, and step 4 runs: each member finishes the batch it is in and commits
/// it; a member still inside its handler after its group's <c>ShutdownTimeout</c> is fenced and commits nothing more.
/// So nothing is committed that was not handled, and what was not handled stays uncommitted (on a durable topic the next
/// run handles it). Stopping takes at most the bound plus the largest group <c>ShutdownTimeout</c>.</para>
/// <para>Thread-safety: the host calls it from one thread at a time.</para>
/// </remarks>
/// <param name="services">The container.</param>
/// <param name="drainTimeout">The longest drain, or null for the host's bound alone.</param>
internal sealed class HotPathHostedService(IServiceProvider services, TimeSpan? drainTimeout) : IHostedLifecycleService
{
    private HotPathRegistry? _registry;
    private long _stopStarted;

    /// <inheritdoc/>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _registry = services.GetRequiredService<HotPathRegistry>();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        HotPathRegistry registry = _registry ?? services.GetRequiredService<HotPathRegistry>();
        _registry = registry;
        foreach (IGroupHandle group in registry.Groups)
        {
            group.StartMembers();
        }

        HotPathLog.Started(registry.Logger, registry.Topics.Count, registry.Groups.Count, registry.Groups.Sum(g => g.MemberCount));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopStarted = Stopwatch.GetTimestamp();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_registry is not { } registry)
        {
            return;
        }

        long started = _stopStarted != 0 ? _stopStarted : Stopwatch.GetTimestamp();
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (drainTimeout is TimeSpan timeout)
        {
            drain.CancelAfter(timeout - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } left ? left : TimeSpan.Zero);
        }

        HotPathLog.Draining(registry.Logger, drainTimeout is TimeSpan limit ? $"the drain timeout of {limit}" : "the host's shutdown timeout");
        bool drained = await new ShutdownDrain(registry).RunAsync(drain.Token).ConfigureAwait(false);

        // Publishing stops in every case (already done when drained); then members stop, every group at once, so that the
        // overrun past the bound is the largest ShutdownTimeout, not their sum.
        foreach (ITopicHandle topic in registry.Topics)
        {
            topic.Complete();
        }

        await Task.WhenAll(registry.Groups.Select(g => Task.Run(g.Dispose, CancellationToken.None))).ConfigureAwait(false);
        registry.Dispose();
        if (drained)
        {
            HotPathLog.Drained(registry.Logger, Stopwatch.GetElapsedTime(started));
        }
        else
        {
            HotPathLog.StoppedAtBound(registry.Logger, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The lossless groups: the ones shutdown waits for (a lossy group never holds the writers, nor the stop).</summary>
    internal static IEnumerable<IGroupHandle> Lossless(HotPathRegistry registry) => registry.Groups.Where(static g => !g.Options.Lossy);

    /// <summary>The readable events a group has not committed, over all its partitions.</summary>
    internal static long LagOf(IReadOnlyList<PartitionStats> stats) => stats.Sum(static s => s.Lag);
}
