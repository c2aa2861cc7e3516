using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static HotPath.Tests.Consumers.ClaimScenario;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The claim model property (<see cref="ClaimModelRun"/>) on the paths where issue 11 found defects: groups created after
/// publishing started, lossy-only topics, multi-writer claims held across other writers' publishes with no gating reader,
/// and abandoned claims (both modes) that a lossy or late group can still reach. One property per defect, aimed at its
/// path, and one over every path. Each failed on the code before its fix (the shrunk counterexamples are in the
/// defects' notes); they now guard the fixes.
/// </summary>
public sealed class RarePathClaimModelProperties
{
    /// <summary>Defect 1: with no lossless group yet, a writer takes the slot of a claim still held one lap back.</summary>
    [Property(MaxTest = 60)]
    public Property HeldClaims_NoGatingReaderThenLateGroups_OneWriterPerSlot() =>
        Prop.ForAll(ArbitraryFor(Paths.Holds | Paths.LateGroups | Paths.MultiWriterOnly | Paths.NoGroupAtStart), Run);

    /// <summary>Defect 2: a gap that a lossy or late group can still reach is forgotten and handed out as an event.</summary>
    [Property(MaxTest = 40)]
    public Property MultiWriterAbandons_LossyOrLateGroups_GapsNeverHandedOut() =>
        Prop.ForAll(ArbitraryFor(Paths.Abandons | Paths.LateGroups | Paths.LossyGroups | Paths.MultiWriterOnly), Run);

    /// <summary>Defect 3: a single-writer abandon lowers the writer's reach and a lagging lossy group accepts the half-filled slot.</summary>
    [Property(MaxTest = 60)]
    public Property SingleWriterAbandons_LossyGroups_NoTornEvent() =>
        Prop.ForAll(ArbitraryFor(Paths.Abandons | Paths.LateGroups | Paths.LossyGroups | Paths.SingleWriterOnly), Run);

    /// <summary>Every path at once.</summary>
    [Property(MaxTest = 60)]
    public Property HeldAndAbandonedClaims_LateAndLossyGroups_MatchTheModel() =>
        Prop.ForAll(Anything, Run);

    private static void Run(ClaimScenario scenario)
    {
        using var run = new ClaimModelRun(scenario);
        run.Execute();
    }
}
