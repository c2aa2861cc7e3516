using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Logging;

/// <summary>
/// The log messages of the hosting integration, source-generated (<see cref="LoggerMessageAttribute"/>: no boxing, no
/// formatting unless the level is enabled). One message per occurrence of a rare event — a fault, a fence, a rebalance, a
/// dead letter, a recovery, a shutdown step — never one per event handled.
/// </summary>
/// <remarks>Thread-safety: stateless; any thread (loggers are thread-safe).</remarks>
internal static partial class HotPathLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Topic {Topic} partition {Partition} recovered offsets {StartOffset} to {EndOffset} from {Segments} segment(s): {Detail}")]
    public static partial void PartitionRecovered(ILogger logger, string topic, int partition, long startOffset, long endOffset, int segments, string detail);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Topic {Topic} partition {Partition} recovered offsets {StartOffset} to {EndOffset} and cut off a torn tail of {TruncatedBytes} byte(s): {Detail}")]
    public static partial void PartitionTornTail(ILogger logger, string topic, int partition, long startOffset, long endOffset, long truncatedBytes, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "Group {GroupId} member {MemberId} faulted (its handler threw and the error policy stopped it); its partitions moved, {RemainingMembers} member(s) remain")]
    public static partial void MemberFaulted(ILogger logger, Exception error, string groupId, string memberId, int remainingMembers);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "Group {GroupId} member {MemberId} was declared failed and fenced: {Reason}; its partitions moved, {RemainingMembers} member(s) remain")]
    public static partial void MemberFenced(ILogger logger, string groupId, string memberId, string reason, int remainingMembers);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Group {GroupId} member {MemberId} was assigned {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string groupId, string memberId, string partitions);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Group {GroupId} member {MemberId} gave up {Partitions} (committed)")]
    public static partial void PartitionsRevoked(ILogger logger, string groupId, string memberId, string partitions);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "Group {GroupId} member {MemberId} lost {Partitions} without committing; the next owner resumes at the last committed offset")]
    public static partial void PartitionsLost(ILogger logger, string groupId, string memberId, string partitions);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "Group {GroupId} member {MemberId} dead-lettered {Topic}-{Partition} offset {Offset} after {Attempts} attempt(s)")]
    public static partial void EventDeadLettered(ILogger logger, Exception error, string groupId, string memberId, string topic, int partition, long offset, int attempts);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "Group {GroupId} member {MemberId} skipped {Topic}-{Partition} offset {Offset} after {Attempts} attempt(s)")]
    public static partial void EventSkipped(ILogger logger, Exception error, string groupId, string memberId, string topic, int partition, long offset, int attempts);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "HotPath started {TopicCount} topic(s) and {GroupCount} group(s) with {MemberCount} member(s)")]
    public static partial void Started(ILogger logger, int topicCount, int groupCount, int memberCount);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information,
        Message = "HotPath stopping: waiting for the groups to handle what was published (until {Bound}), then completing the topics")]
    public static partial void Draining(ILogger logger, string bound);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information,
        Message = "HotPath stopped: topics complete, every lossless group drained (committed everything published), members stopped, in {Elapsed}")]
    public static partial void Drained(ILogger logger, TimeSpan elapsed);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning,
        Message = "HotPath shutdown bound reached before group {GroupId} drained: {Lag} event(s) not handled on {Partitions} stay uncommitted (a durable topic keeps them for the next run); its members stop now, each committing only the batch it finished, and one still in its handler after {ShutdownTimeout} is fenced")]
    public static partial void ShutdownBoundReached(ILogger logger, string groupId, long lag, string partitions, TimeSpan shutdownTimeout);

    [LoggerMessage(EventId = 14, Level = LogLevel.Error, Message = "Group {GroupId} could not drain at shutdown")]
    public static partial void GroupDrainFailed(ILogger logger, Exception error, string groupId);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning,
        Message = "HotPath stopped after the shutdown bound in {Elapsed}: topics complete, members stopped; see the warnings above for what was left unhandled")]
    public static partial void StoppedAtBound(ILogger logger, TimeSpan elapsed);
}
