using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Model-based property of consumer groups: random runs of publish, join, leave, seek (in and out of the
/// retained window), trim (a plain reader that holds the window open moves on) and drain over a small topic
/// (1-4 partitions of 16-64 slots, so writers meet backpressure) with 1-3 groups (range, round-robin or
/// cooperative-sticky; commit after each batch), plus groups created after publishing started (they start at their
/// committed offset on creation, which must lie in the retained window), checked against the sequential model in
/// <see cref="GroupModelRun"/>: every group handles every event of every partition exactly once in offset
/// order, plus the replays the model predicts after a seek; per-key order holds; no partition of a group ever
/// has two handlers at once; lag ends at 0. A failure shrinks to a short printed operation list.
/// </summary>
public sealed class ConsumerGroupModelProperties
{
    [Property(MaxTest = 50)]
    public Property RandomOperations_AgainstSequentialModel_GroupsDeliverWhatTheModelPredicts() =>
        Prop.ForAll(GroupScenario.Arbitrary, scenario =>
        {
            using var run = new GroupModelRun(scenario);
            run.Execute();
        });
}
