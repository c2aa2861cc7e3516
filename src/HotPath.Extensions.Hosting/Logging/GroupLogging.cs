using HotPath.Consumers;
using HotPath.Groups;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Logging;

/// <summary>
/// Logs one group's rare events through the core's own hooks, chained in front of the user's: a member that faulted or
/// was fenced (<see cref="ConsumerGroupOptions.OnMemberFailed"/>), rebalances (<see cref="IRebalanceListener"/>), and
/// dead-lettered or skipped events (<see cref="ErrorPolicy.OnSkipped"/>). The user's callback runs after the log line,
/// with the same arguments, so what it throws reaches the core as before.
/// </summary>
/// <param name="logger">The logger.</param>
/// <param name="groupId">The group.</param>
/// <param name="inner">The user's own listener, or null.</param>
/// <remarks>Thread-safety: immutable; called from member threads and the thread pool at once.</remarks>
internal sealed class GroupLogging(ILogger logger, string groupId, IRebalanceListener? inner) : IRebalanceListener
{
    /// <summary>The options with the logging hooks in front of the user's.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="options">The group's options.</param>
    /// <returns>The options to create the group with.</returns>
    public static ConsumerGroupOptions Attach(ILogger logger, ConsumerGroupOptions options)
    {
        var logging = new GroupLogging(logger, options.GroupId, options.RebalanceListener);
        Action<MemberFailure>? onMemberFailed = options.OnMemberFailed;
        Action<HandlerError>? onSkipped = options.ErrorPolicy.OnSkipped;
        ErrorAction afterRetries = options.ErrorPolicy.AfterRetries;
        return options with
        {
            RebalanceListener = logging,
            OnMemberFailed = failure =>
            {
                logging.MemberFailed(failure);
                onMemberFailed?.Invoke(failure);
            },
            ErrorPolicy = options.ErrorPolicy with
            {
                OnSkipped = error =>
                {
                    logging.Skipped(error, afterRetries);
                    onSkipped?.Invoke(error);
                },
            },
        };
    }

    /// <inheritdoc/>
    public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        if (partitions.Count > 0)
        {
            HotPathLog.PartitionsAssigned(logger, groupId, memberId, string.Join(", ", partitions));
        }

        inner?.OnPartitionsAssigned(memberId, partitions);
    }

    /// <inheritdoc/>
    public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        if (partitions.Count > 0)
        {
            HotPathLog.PartitionsRevoked(logger, groupId, memberId, string.Join(", ", partitions));
        }

        inner?.OnPartitionsRevoked(memberId, partitions);
    }

    /// <inheritdoc/>
    public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        if (partitions.Count > 0)
        {
            HotPathLog.PartitionsLost(logger, groupId, memberId, string.Join(", ", partitions));
        }

        inner?.OnPartitionsLost(memberId, partitions);
    }

    private void MemberFailed(MemberFailure failure)
    {
        if (failure.State == MemberState.Faulted)
        {
            HotPathLog.MemberFaulted(logger, failure.Error, failure.GroupId, failure.MemberId, failure.RemainingMembers);
        }
        else
        {
            HotPathLog.MemberFenced(logger, failure.GroupId, failure.MemberId, failure.Error.Message, failure.RemainingMembers);
        }
    }

    private void Skipped(HandlerError error, ErrorAction afterRetries)
    {
        if (afterRetries == ErrorAction.DeadLetter)
        {
            HotPathLog.EventDeadLettered(logger, error.Error, error.GroupId, error.MemberId, error.Topic, error.Partition, error.Offset, error.Attempts);
        }
        else
        {
            HotPathLog.EventSkipped(logger, error.Error, error.GroupId, error.MemberId, error.Topic, error.Partition, error.Offset, error.Attempts);
        }
    }
}
