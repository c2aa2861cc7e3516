using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Consumers;
using HotPath.Tests.Consumers.FailureModel;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A model-based property of the failure semantics of consumer groups (README "Guarantees"): random cases of
/// data-driven handler failures (transient, permanent, crash, hang), joins, leaves, restarts, seeks and a paused lossy
/// group, checked against a plain sequential model. The case, its run and its checks live in the FailureModel folder:
/// <see cref="Scenario"/>, <see cref="FailureModelRun"/>, <see cref="FailureModelChecks"/>.
/// </summary>
public sealed class ConsumerGroupFailureModelProperties
{
    private const string TopicName = FailureModelRun.TopicName;
    private const int MaxTest = 30;

    [Property(MaxTest = MaxTest)]
    public Property RandomFailureInterleavings_MatchTheSequentialModel() =>
        Prop.ForAll(Scenario.Arbitrary(), scenario => new FailureModelRun(scenario).Execute());

    /// <summary>
    /// The case CI found: a member joined while another hung, took a partition, then hung itself in the join's second
    /// round; the join threw "did not take its partitions in time" about a member that had taken them (about half the
    /// runs before the fix, timing-dependent; the deterministic test is GroupLifecycleTests'
    /// Join_NewMemberTakesPartitionsThenMissesALaterRound_ReturnsTheFailedMemberAndReportsIt).
    /// </summary>
    [Property(MaxTest = 1, Replay = "(69501434013047622,17586845197572449359,67)")]
    public Property Regression_JoinedMemberHangsInTheJoinsLaterRound_MatchesTheSequentialModel() =>
        Prop.ForAll(Scenario.Arbitrary(), scenario => new FailureModelRun(scenario).Execute());

    /// <summary>The smallest case behind <see cref="Scenario.PermanentFailuresOnSeveralPartitions"/>.</summary>
    [Fact]
    public void PermanentFailureWithSkip_OneMemberTwoPartitions_IsSkippedAfterMaxAttempts()
    {
        using var topic = new Topic<Support.TestEvent>(new TopicOptions { Name = TopicName, PartitionCount = 2, Capacity = 64 });
        using var group = new ConsumerGroup<Support.TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "skip",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, AfterRetries = ErrorAction.Skip },
        });
        var handler = new Support.RecordingHandler(2) { ThrowWhen = (e, _, _) => e.Value == 1 };
        group.Join(handler.For("m"));

        for (int i = 0; i < 3; i++)
        {
            topic.PublishTo(0, new Support.TestEvent(i));
            topic.PublishTo(1, new Support.TestEvent(i));
        }

        // Each partition's failure resets the other's attempt count: neither reaches MaxAttempts, retried forever.
        bool skipped = SpinWait.SpinUntil(() => group.GetStats().All(s => s.Skipped == 1), TimeSpan.FromSeconds(5));
        Assert.True(skipped, $"both failing events skipped after 2 attempts; stats: {string.Join("; ", group.GetStats())}");
    }

    /// <summary>The smallest case behind <see cref="Scenario.TransientFailuresWithHangs"/>.</summary>
    [Fact]
    public void TransientFailureThenHang_SurvivorRedeliversAtMostMaxBatchSize()
    {
        using var topic = new Topic<Support.TestEvent>(new TopicOptions { Name = TopicName, Capacity = 64 });
        using var group = new ConsumerGroup<Support.TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "window",
            MaxBatchSize = 4,
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 2 },
        });
        for (int i = 0; i < 8; i++)
        {
            topic.PublishTo(0, new Support.TestEvent(i));
        }

        // Batch [0, 3]: 0 and 1 handled, 2 throws once (retried, nothing committed); batch [2, 5]: 2, 3, 4 handled, 5 hangs.
        int throwsLeft = 1;
        var stuckHandler = new Support.RecordingHandler(1)
        {
            ThrowWhen = (e, _, _) =>
            {
                if (e.Value == 2 && Interlocked.Decrement(ref throwsLeft) >= 0)
                {
                    return true;
                }

                if (e.Value == 5)
                {
                    Thread.Sleep(1000);
                }

                return false;
            },
        };
        var stuck = group.Join(stuckHandler.For("a"), memberId: "a");
        Assert.True(SpinWait.SpinUntil(() => stuck.State == MemberState.Failed, TimeSpan.FromSeconds(10)), $"the hung member is fenced: {stuck.State}, saw [{string.Join(' ', stuckHandler.Deliveries.Select(d => d.Offset))}], {string.Join("; ", group.GetStats())}");
        var survivorHandler = new Support.RecordingHandler(1);
        group.Join(survivorHandler.For("b"), memberId: "b");
        Assert.True(SpinWait.SpinUntil(() => survivorHandler.Deliveries.Any(d => d.Offset == 7), TimeSpan.FromSeconds(10)));

        // One failure (the fence) may redeliver at most MaxBatchSize = 4 events handled before the hung one: 1 to 4.
        long resumedAt = survivorHandler.Deliveries.First().Offset;
        Assert.InRange(resumedAt, 5 - 4, 5);
    }
}
