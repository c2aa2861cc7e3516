using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Model-based property of claims on the paths that hold today: multi-writer claims held on their own threads across
/// the test thread's publishes, and abandoned claims in both modes (EventClaim and BatchClaim, half filled), always with a
/// lossless group gating the writers from the start. Checked against the sequential model of <see cref="ClaimModelRun"/>.
/// The same run over late and lossy groups is <see cref="RarePathClaimModelProperties"/>.
/// </summary>
public sealed class ClaimModelProperties
{
    [Property(MaxTest = 40)]
    public Property HeldAndAbandonedClaims_WithGatingGroupFromTheStart_MatchTheModel() =>
        Prop.ForAll(ClaimScenario.Gated, scenario =>
        {
            using var run = new ClaimModelRun(scenario);
            run.Execute();
        });
}
