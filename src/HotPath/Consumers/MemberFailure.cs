namespace HotPath.Consumers;

/// <summary>A member that faulted or was declared failed, as <see cref="ConsumerGroupOptions.OnMemberFailed"/> reports it.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="MemberId">The member.</param>
/// <param name="State">
/// <see cref="MemberState.Faulted"/> (its handler threw and the error policy stopped it) or
/// <see cref="MemberState.Failed"/> (dead, or stuck past a time-out, and fenced).
/// </param>
/// <param name="Error">The handler's exception, or a <see cref="TimeoutException"/> naming the time-out it missed.</param>
/// <param name="RemainingMembers">Members left in the group; 0 means nothing handles its events until a member joins.</param>
/// <remarks>Thread-safety: immutable.</remarks>
public readonly record struct MemberFailure(string GroupId, string MemberId, MemberState State, Exception Error, int RemainingMembers);
