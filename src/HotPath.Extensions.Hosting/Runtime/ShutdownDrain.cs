using HotPath.Consumers;
using HotPath.Extensions.Hosting.Logging;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>
/// Steps 1 to 3 of the shutdown order (see <see cref="HotPathHostedService"/>): settle the work in flight, complete
/// the topics, await the groups' <c>Completion</c>; when the token ends it first, a warning per group left undrained.
/// </summary>
/// <param name="registry">The topics and groups.</param>
/// <remarks>Thread-safety: one run at a time.</remarks>
internal sealed class ShutdownDrain(HotPathRegistry registry)
{
    private const int MaxPollMilliseconds = 20;

    /// <summary>Runs the drain.</summary>
    /// <param name="cancellationToken">The bound.</param>
    /// <returns>True when every lossless group drained; false when the bound came first or a group could not drain.</returns>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SettleAsync(cancellationToken).ConfigureAwait(false);
            foreach (ITopicHandle topic in registry.Topics)
            {
                topic.Complete();
            }

            await Task.WhenAll(HotPathHostedService.Lossless(registry).Select(g => g.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogUndrained();
            return false;
        }
        catch (Exception)
        {
            // A group's Completion faulted: its last member failed with events left (OnMemberFailed logged why).
            foreach (IGroupHandle group in HotPathHostedService.Lossless(registry).Where(g => g.Completion.IsFaulted))
            {
                HotPathLog.GroupDrainFailed(registry.Logger, group.Completion.Exception!.GetBaseException(), group.GroupId);
            }

            LogUndrained();
            return false;
        }
    }

    /// <summary>
    /// Waits until every lossless group committed everything readable and nothing was published between two looks:
    /// a handler that publishes into another topic does so before its batch commits, so when every group is caught up and
    /// the topics did not grow, no handler is between reading and publishing. Polls with a short, growing nap (a
    /// shutdown path: the hot paths carry no completion signalling).
    /// </summary>
    private async Task SettleAsync(CancellationToken cancellationToken)
    {
        long published = -1;
        int delay = 1;
        while (true)
        {
            long now = registry.Topics.Sum(static t => t.PublishedCount);
            if (now == published && HotPathHostedService.Lossless(registry).All(static g => HotPathHostedService.LagOf(g.GetStats()) == 0))
            {
                return;
            }

            published = now;
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, MaxPollMilliseconds);
        }
    }

    private void LogUndrained()
    {
        foreach (IGroupHandle group in HotPathHostedService.Lossless(registry))
        {
            IReadOnlyList<PartitionStats> stats = group.GetStats();
            long lag = HotPathHostedService.LagOf(stats);
            if (lag > 0 || !group.Completion.IsCompletedSuccessfully)
            {
                string partitions = string.Join(", ", stats.Where(static s => s.Lag > 0).Select(static s => $"{s.Partition} ({s.Lag})"));
                HotPathLog.ShutdownBoundReached(
                    registry.Logger, group.GroupId, lag, partitions.Length == 0 ? "no partition" : partitions, group.Options.ShutdownTimeout);
            }
        }
    }
}
