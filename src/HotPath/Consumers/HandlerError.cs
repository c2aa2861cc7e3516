namespace HotPath.Consumers;

/// <summary>Describes a handler failure, for the error callbacks of <see cref="ErrorPolicy"/>.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="MemberId">The member whose handler threw.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The offset of the failing event.</param>
/// <param name="Attempts">Attempts so far, including the one that just failed.</param>
/// <param name="Error">The exception.</param>
public readonly record struct HandlerError(string GroupId, string MemberId, string Topic, int Partition, long Offset, int Attempts, Exception Error);
