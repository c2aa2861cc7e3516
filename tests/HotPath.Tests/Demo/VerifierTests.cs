using HotPath.Demo;

namespace HotPath.Tests.Demo;

public class VerifierTests
{
    // Three orders: ORD10000 placed/paid/shipped, ORD10001 placed/cancelled, ORD10002 placed/paid/cancelled.
    private static readonly byte[] s_published = [3, 2, 3];

    // The publish order, interleaved: (order index, step, partition).
    private static readonly (int Order, int Step, int Partition)[] s_stream =
        [(0, 0, 1), (1, 0, 0), (0, 1, 1), (2, 0, 1), (1, 1, 0), (2, 1, 1), (0, 2, 1), (2, 2, 1)];

    [Fact]
    public void Verify_CleanRun_Passes()
    {
        VerificationReport report = Verifier.Verify(Run(Lossless(s_stream)));

        Assert.True(report.Passed, Describe(report));
        Assert.Equal(["consumer-group-A", "routing"], report.Checks.Select(c => c.Name));
        Assert.Equal("8 of 8 events, in order, no duplicates", report.Checks[0].Detail);
    }

    [Fact]
    public void Verify_ReorderedEvent_Fails()
    {
        // ORD10000's paid arrives after its shipped.
        var stream = s_stream.ToList();
        (stream[2], stream[6]) = (stream[6], stream[2]);

        VerificationReport report = Verifier.Verify(Run(Lossless(stream)));

        Assert.False(report.Passed);
        Assert.Contains("1 events arrived after a later event of their order (out of order)", Failure(report, "consumer-group-A"));
    }

    [Fact]
    public void Verify_DroppedEvent_Fails()
    {
        var stream = s_stream.Where(e => e != (2, 1, 1)).ToArray();

        VerificationReport report = Verifier.Verify(Run(Lossless(stream)));

        Assert.Equal("1 of 8 events never arrived (first: ORD10002 step 1)", Failure(report, "consumer-group-A"));
    }

    [Fact]
    public void Verify_DuplicatesWithinWindow_Pass()
    {
        // One rebalance with a batch limit of 2 allows 2 redelivered events.
        GroupObservation group = Lossless([.. s_stream, (0, 1, 1), (0, 2, 1)], rebalances: 1, maxBatch: 2);

        VerificationReport report = Verifier.Verify(Run(group));

        Assert.True(report.Passed, Describe(report));
        Assert.Equal("8 of 8 events, in order, 2 duplicates (window 2)", report.Checks[0].Detail);
    }

    [Fact]
    public void Verify_DuplicateOutsideWindow_Fails()
    {
        GroupObservation group = Lossless([.. s_stream, (0, 1, 1), (0, 2, 1), (2, 0, 1)], rebalances: 1, maxBatch: 2);

        VerificationReport report = Verifier.Verify(Run(group));

        Assert.Equal("3 duplicates, more than the at-least-once window of 2 (1 rebalances x 2)", Failure(report, "consumer-group-A"));
    }

    [Fact]
    public void Verify_LossyGroupAccountsForEveryEvent_Passes()
    {
        // The lossy group missed two events and says so.
        GroupObservation group = Lossy(s_stream.Where(e => e.Order != 0 || e.Step == 0).ToArray(), lost: 2);

        VerificationReport report = Verifier.Verify(Run(group));

        Assert.True(report.Passed, Describe(report));
        Assert.Equal("6 handled + 2 lost = 8, in order", report.Checks[0].Detail);
    }

    [Fact]
    public void Verify_LossyMismatch_Fails()
    {
        GroupObservation group = Lossy(s_stream.Where(e => e.Order != 0 || e.Step == 0).ToArray(), lost: 1);

        VerificationReport report = Verifier.Verify(Run(group));

        Assert.Equal("handled 6 + lost 1 = 7, not the 8 published", Failure(report, "analytics (lossy)"));
    }

    [Fact]
    public void Verify_LossyReordered_Fails()
    {
        var stream = s_stream.ToList();
        (stream[2], stream[6]) = (stream[6], stream[2]);

        VerificationReport report = Verifier.Verify(Run(Lossy(stream, lost: 0)));

        Assert.Contains("out of order", Failure(report, "analytics (lossy)"));
    }

    [Fact]
    public void Verify_OrderSplitOverPartitions_FailsRouting()
    {
        var stream = s_stream.Select(e => e == (0, 2, 1) ? (0, 2, 2) : e).ToArray();

        VerificationReport report = Verifier.Verify(Run(Lossless(stream)));

        Assert.Equal("1 events came from another partition than the rest of their order", Failure(report, "routing"));
    }

    [Fact]
    public void Verify_SampleOffKafkasPartitionWithKafkaPartitioner_Fails()
    {
        RunObservations run = Run(Lossless(s_stream)) with
        {
            PartitionerName = "Kafka",
            Samples = [new KeySample("ORD10000", 1, 1, 2)],
        };

        Assert.Equal("ORD10000 went to partition 1, Kafka picks 2", Failure(Verifier.Verify(run), "routing"));
    }

    [Fact]
    public void Verify_MemberStopResumedAtCommittedOffset_Passes()
    {
        RunObservations run = Run(Lossless(s_stream)) with { MemberStop = Stop() };

        VerificationReport report = Verifier.Verify(run);

        Assert.True(report.Passed, Describe(report));
        Assert.Equal("orders-1 moved to A-3, resumed at the committed offset 40 (rebalances 3 -> 4)", report.Checks[^1].Detail);
    }

    [Fact]
    public void Verify_MemberStopWithoutRebalanceOrNewOwner_Fails()
    {
        RunObservations run = Run(Lossless(s_stream)) with { MemberStop = Stop() with { NewOwner = null, RebalancesAfter = 3, ResumedAt = 37 } };

        string failure = Failure(Verifier.Verify(run), "A-2 stopped");

        Assert.Contains("partition 1 got no new owner", failure);
        Assert.Contains("the group did not rebalance", failure);
        Assert.Contains("the new owner resumed at offset 37, not at the committed offset 40", failure);
    }

    [Fact]
    public void Verify_DrainError_Fails()
    {
        VerificationReport report = Verifier.Verify(Run(Lossless(s_stream)) with { DrainError = "stuck" });

        Assert.Equal("stuck", Failure(report, "drain"));
    }

    [Fact]
    public void WriteTo_FailedRun_EndsWithFailResult()
    {
        var writer = new StringWriter();

        Verifier.Verify(Run(Lossless(s_stream.Take(3).ToArray()))).WriteTo(writer);

        Assert.Contains("  FAIL  consumer-group-A", writer.ToString());
        Assert.EndsWith($"RESULT: FAIL (1 of 2 checks failed){Environment.NewLine}", writer.ToString());
    }

    [Fact]
    public void Verify_ExactlyOnceEveryOrderOnce_PassesAndCountsTheTwinsDuplicates()
    {
        // The twin's hung batch had ORD10001's output: published, not committed, and redone by the next owner.
        RunObservations run = Run(Lossless(s_stream)) with { ExactlyOnce = Stage([1, 1, 1], twin: [1, 2, 1]) };

        VerificationReport report = Verifier.Verify(run);

        Assert.True(report.Passed, Describe(report));
        Assert.Equal(["consumer-group-A", "routing", "exactly-once", "at-least-once twin"], report.Checks.Select(c => c.Name));
        Assert.Equal(
            "3 orders, 3 outputs, 0 missing, 0 duplicates; P-1 hung mid-transaction with 1 outputs and is Failed; " +
            "read-committed readers stepped over 1 aborted outputs",
            report.Checks[2].Detail);
        Assert.Equal(
            "3 orders, 4 outputs, 0 missing, 1 duplicates: T-2's hung batch of 1 outputs was published, not committed, " +
            "and redone (at least once: duplicates expected)",
            report.Checks[3].Detail);
    }

    [Fact]
    public void Verify_ExactlyOnceOrderTwice_Fails()
    {
        RunObservations run = Run(Lossless(s_stream)) with { ExactlyOnce = Stage([1, 2, 1], twin: [1, 2, 1]) };

        string failure = Failure(Verifier.Verify(run), "exactly-once");

        Assert.StartsWith("3 orders, 4 outputs, 0 missing, 1 duplicates (first duplicate: ORD10001 x2)", failure);
    }

    [Fact]
    public void Verify_ExactlyOnceOrderMissingOrUnpublishedOutput_Fails()
    {
        // ORD10000 has no output; the fourth order was never placed but has one.
        RunObservations run = Run(Lossless(s_stream)) with { ExactlyOnce = Stage([0, 1, 1, 1], twin: [1, 1, 1]) };

        string failure = Failure(Verifier.Verify(run), "exactly-once");

        Assert.StartsWith("3 orders, 3 outputs, 1 missing, 0 duplicates (first missing: ORD10000, 1 outputs of orders never placed)", failure);
    }

    [Fact]
    public void Verify_TwinOrderMissing_Fails()
    {
        RunObservations run = Run(Lossless(s_stream)) with { ExactlyOnce = Stage([1, 1, 1], twin: [1, 0, 2]) };

        string failure = Failure(Verifier.Verify(run), "at-least-once twin");

        Assert.StartsWith("3 orders, 3 outputs, 1 missing, 1 duplicates (first missing: ORD10001)", failure);
    }

    [Theory]
    [InlineData(-1, "Running", "T-2 never hung (no batch with outputs after half way)")]
    [InlineData(1, "Running", "T-2 was not declared failed: it committed its hung batch itself")]
    public void Verify_TwinWithoutDuplicates_PassesAndSaysWhy(int hungOutputs, string state, string why)
    {
        ExactlyOnceObservation stage = Stage([1, 1, 1], twin: [1, 1, 1]) with { TwinHang = new HungMember("T-2", state, hungOutputs) };

        VerificationReport report = Verifier.Verify(Run(Lossless(s_stream)) with { ExactlyOnce = stage });

        Assert.True(report.Passed, Describe(report));
        Assert.Equal($"3 orders, 3 outputs, 0 missing, 0 duplicates: {why} (at least once: duplicates expected)", report.Checks[^1].Detail);
    }

    private static GroupObservation Lossless(IReadOnlyList<(int Order, int Step, int Partition)> stream, long rebalances = 1, int maxBatch = 1024) =>
        Observe("consumer-group-A", lossy: false, stream, lost: 0, rebalances, maxBatch);

    private static GroupObservation Lossy(IReadOnlyList<(int Order, int Step, int Partition)> stream, long lost) =>
        Observe("analytics", lossy: true, stream, lost, rebalances: 1, maxBatch: 1024);

    private static GroupObservation Observe(string groupId, bool lossy, IReadOnlyList<(int Order, int Step, int Partition)> stream, long lost, long rebalances, int maxBatch)
    {
        // Through the real recorder, as the handlers use it.
        var log = new GroupLog(groupId, lossy, s_published.Length);
        MemberLog member = log.AddMember("m-1", partitionCount: 3);
        foreach ((int order, int step, int partition) in stream)
        {
            log.Observe(order, step, partition, member);
        }

        return GroupObservation.From(log, lost, rebalances, maxBatch);
    }

    private static RunObservations Run(GroupObservation group) =>
        new(s_published, [group], [new KeySample("ORD10000", 1, 1, 2)], "XxHash3", MemberStop: null);

    private static ExactlyOnceObservation Stage(byte[] outputs, byte[] twin) =>
        new(outputs, twin, AbortedSkipped: 1, new HungMember("P-1", "Failed", 1), new HungMember("T-2", "Failed", 1));

    private static MemberStopObservation Stop() =>
        new("A-2", 1, "Faulted", "A-3", CommittedAtRevoke: 40, ResumedAt: 40, EndOffset: 90, RebalancesBefore: 3, RebalancesAfter: 4);

    private static string Failure(VerificationReport report, string check)
    {
        VerificationCheck found = Assert.Single(report.Checks, c => c.Name == check);
        Assert.False(found.Passed, $"{check} passed: {found.Detail}");
        Assert.False(report.Passed);
        return found.Detail;
    }

    private static string Describe(VerificationReport report) =>
        string.Join("; ", report.Checks.Select(c => $"{c.Name}: {(c.Passed ? "pass" : "FAIL")} {c.Detail}"));
}
