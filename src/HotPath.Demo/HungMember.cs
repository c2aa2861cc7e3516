namespace HotPath.Demo;

/// <summary>A processor member the exactly-once stage made to hang at the end of a batch.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="StateAfter">Its state after the run: Failed once the group declared it so.</param>
/// <param name="HungOutputs">Outputs its hung batch had published (not committed), or -1 when it never hung.</param>
internal sealed record HungMember(string MemberId, string StateAfter, int HungOutputs);
