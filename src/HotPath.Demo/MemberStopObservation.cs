namespace HotPath.Demo;

/// <summary>What happened when the demo stopped a member of consumer-group-A half way.</summary>
/// <param name="MemberId">The stopped member.</param>
/// <param name="Partition">The partition it owned.</param>
/// <param name="StateAfter">Its state at the end (the demo makes its handler throw: Faulted).</param>
/// <param name="NewOwner">The member that took the partition next, or null.</param>
/// <param name="CommittedAtRevoke">The offset committed when the stopped member gave the partition up, or null.</param>
/// <param name="ResumedAt">The first offset the new owner handled on the partition, or -1 if it handled none.</param>
/// <param name="EndOffset">The partition's end offset at the end of the run.</param>
/// <param name="RebalancesBefore">The group's rebalance count before the stop.</param>
/// <param name="RebalancesAfter">The group's rebalance count at the end.</param>
internal sealed record MemberStopObservation(
    string MemberId,
    int Partition,
    string StateAfter,
    string? NewOwner,
    long? CommittedAtRevoke,
    long ResumedAt,
    long EndOffset,
    long RebalancesBefore,
    long RebalancesAfter);
