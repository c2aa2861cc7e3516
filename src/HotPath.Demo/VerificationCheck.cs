namespace HotPath.Demo;

/// <summary>One line of the verification report.</summary>
/// <param name="Name">What was checked, e.g. a group id.</param>
/// <param name="Passed">True when it held.</param>
/// <param name="Detail">What was found: the evidence when it passed, each problem when it failed.</param>
internal sealed record VerificationCheck(string Name, bool Passed, string Detail);
