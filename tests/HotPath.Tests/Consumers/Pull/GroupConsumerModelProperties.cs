using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>
/// Model-based property of pull consumers: random runs of publish, join (with prefetches from 1 to 64), leave, consume,
/// commit and fence (a consumer declared failed, as after MaxPollInterval) over 1-4 partitions, with range, round-robin
/// (eager) or cooperative-sticky assignors and auto or manual commits, checked against the sequential model in
/// <see cref="PullModelRun"/>: per-partition order, nothing lost, each committed offset exactly as predicted (never past
/// what was consumed), and events handed out twice only in the at-least-once window (consumed, not committed, and the
/// partition lost by a failure or moved under manual commits). A failure shrinks to a short printed operation list.
/// </summary>
public sealed class GroupConsumerModelProperties
{
    [Property(MaxTest = 40)]
    public Property RandomOperations_AgainstSequentialModel_ConsumersDeliverAndCommitWhatTheModelPredicts() =>
        Prop.ForAll(PullScenario.Arbitrary, scenario =>
        {
            using var run = new PullModelRun(scenario);
            run.Execute();
        });
}
