using System.Globalization;
using System.Numerics;

namespace HotPath.Demo;

/// <summary>
/// Computes the verification report from recorded observations only (what the handlers saw and what was
/// published): a pure function, so each failure kind can be tested with hand-made observations.
/// </summary>
/// <remarks>
/// <para>Per lossless group: every order's events arrived in publish order (no event after a later one of its
/// order), every published event arrived, nothing arrived that was not published, and duplicates stay within the
/// at-least-once window: at most one uncommitted batch (<c>MaxBatchSize</c> events) per rebalance.</para>
/// <para>Per lossy group: order as above, and handled (without duplicates) + lost = published.</para>
/// <para>Routing: each order's events came from one partition, the sample keys sit where the partitioner puts them
/// (and where Kafka would, with Kafka's partitioner). The member stop: the member stopped, its partition got a new
/// owner, the group rebalanced, and the new owner resumed at the offset committed for it.</para>
/// <para>The exactly-once stage (<c>Verifier.ExactlyOnce.cs</c>): every order's output exactly once on
/// `orders.processed`; on the at-least-once twin's topic, none missing (its duplicates are information).</para>
/// </remarks>
internal static partial class Verifier
{
    public static VerificationReport Verify(RunObservations run)
    {
        var checks = new List<VerificationCheck>();
        foreach (GroupObservation group in run.Groups)
        {
            checks.Add(CheckGroup(run, group));
        }

        checks.Add(CheckRouting(run));
        if (run.MemberStop is { } stop)
        {
            checks.Add(CheckMemberStop(stop));
        }

        if (run.ExactlyOnce is { } stage)
        {
            checks.Add(CheckExactlyOnce(run, stage));
            checks.Add(CheckTwin(run, stage));
        }

        if (run.DrainError is { } error)
        {
            checks.Add(new VerificationCheck("drain", false, error));
        }

        return new VerificationReport(checks, run.Samples, run.MemberStop);
    }

    private static VerificationCheck CheckGroup(RunObservations run, GroupObservation group)
    {
        byte[] published = run.PublishedPerOrder;
        long total = run.Published;
        long missing = 0;
        long unpublished = 0;
        int firstMissing = -1;
        for (int i = 0; i < published.Length; i++)
        {
            int expected = (1 << published[i]) - 1;
            int seen = i < group.Seen.Length ? group.Seen[i] : 0;
            int absent = expected & ~seen;
            if (absent != 0 && firstMissing < 0)
            {
                firstMissing = i;
            }

            missing += BitOperations.PopCount((uint)absent);
            unpublished += BitOperations.PopCount((uint)(seen & ~expected));
        }

        var problems = new List<string>();
        if (group.Late != 0)
        {
            problems.Add($"{N(group.Late)} events arrived after a later event of their order (out of order)");
        }

        if (unpublished != 0)
        {
            problems.Add($"{N(unpublished)} events arrived that were never published");
        }

        long unique = group.Handled - group.Duplicates;
        if (group.Lossy)
        {
            if (unique + group.Lost != total)
            {
                problems.Add($"handled {N(unique)} + lost {N(group.Lost)} = {N(unique + group.Lost)}, not the {N(total)} published");
            }
        }
        else if (missing != 0)
        {
            int step = BitOperations.TrailingZeroCount(((1 << published[firstMissing]) - 1) & ~group.Seen[firstMissing]);
            problems.Add($"{N(missing)} of {N(total)} events never arrived (first: {OrderIds.Format(OrderIds.FromIndex(firstMissing))} step {step})");
        }

        long window = group.Rebalances * group.MaxBatchSize;
        if (group.Duplicates > window)
        {
            problems.Add(
                $"{N(group.Duplicates)} duplicates, more than the at-least-once window of {N(window)} " +
                $"({group.Rebalances} rebalances x {N(group.MaxBatchSize)})");
        }

        string name = group.Lossy ? $"{group.GroupId} (lossy)" : group.GroupId;
        if (problems.Count != 0)
        {
            return new VerificationCheck(name, false, string.Join("; ", problems));
        }

        string duplicates = group.Duplicates == 0 ? "no duplicates" : $"{N(group.Duplicates)} duplicates (window {N(window)})";
        return group.Lossy
            ? new VerificationCheck(name, true, $"{N(unique)} handled + {N(group.Lost)} lost = {N(total)}, in order")
            : new VerificationCheck(name, true, $"{N(unique)} of {N(total)} events, in order, {duplicates}");
    }

    private static VerificationCheck CheckRouting(RunObservations run)
    {
        var problems = new List<string>();
        long moves = run.Groups.Sum(g => g.PartitionMoves);
        if (moves != 0)
        {
            problems.Add($"{N(moves)} events came from another partition than the rest of their order");
        }

        foreach (KeySample sample in run.Samples)
        {
            if (sample.SeenPartition >= 0 && sample.SeenPartition != sample.ExpectedPartition)
            {
                problems.Add($"{sample.Key} arrived on partition {sample.SeenPartition}, the partitioner picks {sample.ExpectedPartition}");
            }

            if (run.KafkaPartitioner && sample.ExpectedPartition != sample.KafkaPartition)
            {
                problems.Add($"{sample.Key} went to partition {sample.ExpectedPartition}, Kafka picks {sample.KafkaPartition}");
            }
        }

        return problems.Count == 0
            ? new VerificationCheck("routing", true, $"every order on one partition; samples match {run.PartitionerName}")
            : new VerificationCheck("routing", false, string.Join("; ", problems));
    }

    private static VerificationCheck CheckMemberStop(MemberStopObservation stop)
    {
        string name = $"{stop.MemberId} stopped";
        var problems = new List<string>();
        if (stop.StateAfter is not ("Faulted" or "Stopped"))
        {
            problems.Add($"it is still {stop.StateAfter}");
        }

        if (stop.NewOwner is null || stop.NewOwner == stop.MemberId)
        {
            problems.Add($"partition {stop.Partition} got no new owner");
        }

        if (stop.RebalancesAfter <= stop.RebalancesBefore)
        {
            problems.Add($"the group did not rebalance (rebalances {stop.RebalancesBefore} before, {stop.RebalancesAfter} after)");
        }

        bool nothingLeft = stop.ResumedAt < 0 && stop.CommittedAtRevoke == stop.EndOffset;
        if (stop.CommittedAtRevoke is not long committed)
        {
            problems.Add($"it never gave up partition {stop.Partition}");
        }
        else if (stop.ResumedAt != committed && !nothingLeft)
        {
            problems.Add($"the new owner resumed at offset {N(stop.ResumedAt)}, not at the committed offset {N(committed)}");
        }

        if (problems.Count != 0)
        {
            return new VerificationCheck(name, false, string.Join("; ", problems));
        }

        string resumed = nothingLeft ? "nothing was left to handle" : $"resumed at the committed offset {N(stop.ResumedAt)}";
        return new VerificationCheck(
            name,
            true,
            $"orders-{stop.Partition} moved to {stop.NewOwner}, {resumed} (rebalances {stop.RebalancesBefore} -> {stop.RebalancesAfter})");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
