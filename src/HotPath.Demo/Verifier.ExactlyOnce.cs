namespace HotPath.Demo;

/// <content>
/// The exactly-once stage's checks. An order whose order_placed was published expects one output; the count is what
/// the read-committed counting group of each output topic saw, once per offset.
/// </content>
internal static partial class Verifier
{
    /// <summary>`orders.processed`: every order's output exactly once (none missing, none twice, none for an unpublished order).</summary>
    private static VerificationCheck CheckExactlyOnce(RunObservations run, ExactlyOnceObservation stage)
    {
        OutputTally tally = Tally(run.PublishedPerOrder, stage.Outputs);
        string hang = stage.ProcessorHang switch
        {
            null => "no member was made to hang",
            { HungOutputs: < 0 } h => $"{h.MemberId} never hung (no batch with outputs after half way)",
            { } h => $"{h.MemberId} hung mid-transaction with {N(h.HungOutputs)} outputs and is {h.StateAfter}; " +
                $"read-committed readers stepped over {N(stage.AbortedSkipped)} aborted outputs",
        };

        var problems = new List<string>();
        if (tally.FirstMissing >= 0)
        {
            problems.Add($"first missing: {OrderIds.Format(OrderIds.FromIndex(tally.FirstMissing))}");
        }

        if (tally.FirstDuplicate >= 0)
        {
            int index = tally.FirstDuplicate;
            problems.Add($"first duplicate: {OrderIds.Format(OrderIds.FromIndex(index))} x{stage.Outputs[index]}");
        }

        if (tally.Unexpected != 0)
        {
            problems.Add($"{N(tally.Unexpected)} outputs of orders never placed");
        }

        return problems.Count == 0
            ? new VerificationCheck("exactly-once", true, $"{tally}; {hang}")
            : new VerificationCheck("exactly-once", false, $"{tally} ({string.Join(", ", problems)}); {hang}");
    }

    /// <summary>`orders.processed.twin`: no order missing; the duplicates are counted, and explained when there are none.</summary>
    private static VerificationCheck CheckTwin(RunObservations run, ExactlyOnceObservation stage)
    {
        OutputTally tally = Tally(run.PublishedPerOrder, stage.TwinOutputs);
        var problems = new List<string>();
        if (tally.FirstMissing >= 0)
        {
            problems.Add($"first missing: {OrderIds.Format(OrderIds.FromIndex(tally.FirstMissing))}");
        }

        if (tally.Unexpected != 0)
        {
            problems.Add($"{N(tally.Unexpected)} outputs of orders never placed");
        }

        HungMember? hung = stage.TwinHang;
        string why = tally.Duplicates != 0
            ? hung is { HungOutputs: >= 0 }
                ? $"{hung.MemberId}'s hung batch of {N(hung.HungOutputs)} outputs was published, not committed, and redone"
                : "batches handed out again after a rebalance"
            : hung switch
            {
                null => "no member was made to hang",
                { HungOutputs: < 0 } => $"{hung.MemberId} never hung (no batch with outputs after half way)",
                { StateAfter: not "Failed" } => $"{hung.MemberId} was not declared failed: it committed its hung batch itself",
                _ => $"{hung.MemberId}'s hung batch was not handed out again",
            };

        string name = "at-least-once twin";
        return problems.Count == 0
            ? new VerificationCheck(name, true, $"{tally}: {why} (at least once: duplicates expected)")
            : new VerificationCheck(name, false, $"{tally} ({string.Join(", ", problems)}); {why}");
    }

    private static OutputTally Tally(byte[] published, byte[] outputs)
    {
        long orders = 0, total = 0, missing = 0, duplicates = 0, unexpected = 0;
        int firstMissing = -1, firstDuplicate = -1;
        for (int i = 0; i < Math.Max(published.Length, outputs.Length); i++)
        {
            int count = i < outputs.Length ? outputs[i] : 0;
            total += count;
            if (i >= published.Length || published[i] == 0)
            {
                unexpected += count;
                continue;
            }

            orders++;
            if (count == 0)
            {
                missing++;
                firstMissing = firstMissing < 0 ? i : firstMissing;
            }
            else if (count > 1)
            {
                duplicates += count - 1;
                firstDuplicate = firstDuplicate < 0 ? i : firstDuplicate;
            }
        }

        return new OutputTally(orders, total, missing, duplicates, unexpected, firstMissing, firstDuplicate);
    }

    /// <summary>Outputs per order on one topic, against the orders placed.</summary>
    /// <param name="Orders">Orders whose order_placed was published (each expects one output).</param>
    /// <param name="Outputs">Outputs read.</param>
    /// <param name="Missing">Placed orders without an output.</param>
    /// <param name="Duplicates">Outputs beyond the first of their order.</param>
    /// <param name="Unexpected">Outputs of orders never placed.</param>
    /// <param name="FirstMissing">The first order index without an output, or -1.</param>
    /// <param name="FirstDuplicate">The first order index with two or more outputs, or -1.</param>
    private readonly record struct OutputTally(
        long Orders, long Outputs, long Missing, long Duplicates, long Unexpected, int FirstMissing, int FirstDuplicate)
    {
        public override string ToString() =>
            $"{N(Orders)} orders, {N(Outputs)} outputs, {N(Missing)} missing, {N(Duplicates)} duplicates";
    }
}
