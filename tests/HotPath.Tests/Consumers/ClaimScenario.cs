using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HotPath.Tests.Support;

namespace HotPath.Tests.Consumers;

/// <summary>
/// One generated run of the claim model property (<see cref="ClaimModelRun"/>): a one-partition topic of 4 or 8 slots
/// in either publish mode, the groups that exist before the first publish, and the operations in order. Multi-writer
/// runs hold claims on their own threads across the test thread's publishes; both modes abandon half-filled claims
/// (an <c>EventClaim</c> or a <c>BatchClaim</c>); groups (lossless or lossy) may be created after publishing started;
/// lossy groups can be paused so that the writer laps them.
/// </summary>
public sealed record ClaimScenario(int Capacity, bool SingleWriter, bool[] InitialGroupsLossy, ClaimScenario.Op[] Ops)
{
    /// <summary>Held claims at most at once (each is a thread).</summary>
    public const int MaxHeld = 3;

    /// <summary>Which paths a generator takes.</summary>
    [Flags]
    public enum Paths
    {
        /// <summary>Multi-writer claims held on their own threads, then published or abandoned.</summary>
        Holds = 1,

        /// <summary>Half-filled claims abandoned by the test thread (EventClaim and BatchClaim).</summary>
        Abandons = 2,

        /// <summary>Groups created after publishing started (lossy ones too with <see cref="LossyGroups"/>).</summary>
        LateGroups = 4,

        /// <summary>Lossy groups, and pausing them so that the writer laps them.</summary>
        LossyGroups = 8,

        /// <summary>One or two lossless groups exist from the start (and no lossy group unless asked for).</summary>
        GatedFromStart = 16,

        /// <summary>Only single-writer topics.</summary>
        SingleWriterOnly = 32,

        /// <summary>Only multi-writer topics.</summary>
        MultiWriterOnly = 64,

        /// <summary>No group before the first operation: the writers start ungated.</summary>
        NoGroupAtStart = 128,
    }

    /// <summary>
    /// Runs the gating lossless groups protect: at least one lossless group from the start, never a group created
    /// later, never a lossy group, with held and abandoned claims in both modes.
    /// </summary>
    public static Arbitrary<ClaimScenario> Gated { get; } = ArbitraryFor(Paths.Holds | Paths.Abandons | Paths.GatedFromStart);

    /// <summary>Every path: late groups, lossy-only topics, holds and abandons with no gating reader.</summary>
    public static Arbitrary<ClaimScenario> Anything { get; } = ArbitraryFor(Paths.Holds | Paths.Abandons | Paths.LateGroups | Paths.LossyGroups);

    public static Arbitrary<ClaimScenario> ArbitraryFor(Paths paths) =>
        Arb.From(Generator(paths), s => Shrink(s, keepGating: paths.HasFlag(Paths.GatedFromStart)));

    public static Gen<ClaimScenario> Generator(Paths paths) =>
        from capacity in Gen.Elements(4, 8)
        from singleWriter in paths.HasFlag(Paths.SingleWriterOnly) ? Gen.Constant(true)
            : paths.HasFlag(Paths.MultiWriterOnly) ? Gen.Constant(false)
            : Gen.Elements(false, false, true)
        from initial in paths.HasFlag(Paths.NoGroupAtStart) ? Gen.Constant(Array.Empty<bool>())
            : paths.HasFlag(Paths.GatedFromStart) ? Gen.Choose(1, 2).Select(n => Enumerable.Repeat(false, n).ToArray())
            : Gen.Choose(0, 2).SelectMany(n => Gen.ArrayOf(paths.HasFlag(Paths.LossyGroups) ? Gen.Elements(false, true) : Gen.Constant(false), n))
        from count in Gen.Choose(4, 24)
        from ops in Gen.ArrayOf(OpGen(singleWriter, paths), count)
        select new ClaimScenario(capacity, singleWriter, initial, ops);

    /// <summary>Fewer operations first, then smaller publishes, fewer initial groups, and the 4-slot ring.</summary>
    public static IEnumerable<ClaimScenario> Shrink(ClaimScenario scenario, bool keepGating)
    {
        Op[] ops = scenario.Ops;
        foreach (Op[] fewer in ModelShrink.WithoutChunks(ops))
        {
            yield return scenario with { Ops = fewer };
        }

        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i] is Publish { Count: > 1 } publish)
            {
                Op[] smaller = [.. ops];
                smaller[i] = publish with { Count = publish.Count - 1 };
                yield return scenario with { Ops = smaller };
            }
        }

        for (int i = 0; i < scenario.InitialGroupsLossy.Length; i++)
        {
            bool[] fewer = [.. scenario.InitialGroupsLossy[..i], .. scenario.InitialGroupsLossy[(i + 1)..]];
            // A gated run keeps a gating group.
            if (!keepGating || fewer.Contains(false))
            {
                yield return scenario with { InitialGroupsLossy = fewer };
            }
        }

        if (scenario.Capacity > 4)
        {
            yield return scenario with { Capacity = 4 };
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"one partition x {Capacity} slots, {(SingleWriter ? "single" : "multi")}-writer; groups at the start: ");
        text.AppendJoin(", ", InitialGroupsLossy.Select(l => l ? "lossy" : "lossless"));
        text.AppendLine(InitialGroupsLossy.Length == 0 ? "none" : string.Empty);
        for (int i = 0; i < Ops.Length; i++)
        {
            text.AppendLine($"  {i,2}: {Ops[i]}");
        }

        return text.ToString();
    }

    private static Gen<Op> OpGen(bool singleWriter, Paths paths)
    {
        var ops = new List<(int, Gen<Op>)>
        {
            (6, Gen.Frequency((3, Gen.Choose(1, 4)), (1, Gen.Choose(5, 12))).Select(n => (Op)new Publish(n))),
            (1, Gen.Constant((Op)new Drain())),
        };
        if (paths.HasFlag(Paths.Abandons))
        {
            ops.Add((3, Gen.Choose(1, 2).Select(n => (Op)new Abandon(n))));
        }

        if (paths.HasFlag(Paths.Holds) && !singleWriter)
        {
            ops.Add((3, Gen.Constant((Op)new Hold())));
            ops.Add((3, from pick in Gen.Choose(0, MaxHeld - 1) from publish in Gen.Elements(true, true, false) select (Op)new Release(pick, publish)));
        }

        if (paths.HasFlag(Paths.LateGroups))
        {
            ops.Add((2, (paths.HasFlag(Paths.LossyGroups) ? Gen.Elements(false, true) : Gen.Constant(false)).Select(lossy => (Op)new AddGroup(lossy))));
        }

        if (paths.HasFlag(Paths.LossyGroups))
        {
            ops.Add((2, Gen.Elements(true, false).Select(pause => (Op)new PauseLossy(pause))));
        }

        return Gen.Frequency(ops.ToArray());
    }

    /// <summary>An operation of the run.</summary>
    public abstract record Op;

    /// <summary>The test thread publishes up to <see cref="Count"/> events (none into a slot a held claim still owns).</summary>
    public sealed record Publish(int Count) : Op
    {
        public override string ToString() => $"Publish({Count})";
    }

    /// <summary>A thread claims the next slot, half fills it and holds it (multi-writer).</summary>
    public sealed record Hold : Op
    {
        public override string ToString() => "Hold";
    }

    /// <summary>The holder of the held claim at <see cref="Pick"/> (modulo their count, oldest first) publishes or abandons it.</summary>
    public sealed record Release(int Pick, bool Publish) : Op
    {
        public override string ToString() => $"Release(#{Pick}, {(Publish ? "publish" : "abandon")})";
    }

    /// <summary>The test thread claims <see cref="Count"/> slots (1: EventClaim, 2: BatchClaim), half fills and abandons them.</summary>
    public sealed record Abandon(int Count) : Op
    {
        public override string ToString() => $"Abandon({(Count == 1 ? "EventClaim" : $"BatchClaim x{Count}")})";
    }

    /// <summary>A group (one member) is created now, after publishing started.</summary>
    public sealed record AddGroup(bool Lossy) : Op
    {
        public override string ToString() => $"AddGroup({(Lossy ? "lossy" : "lossless")})";
    }

    /// <summary>Lossy handlers block (the writer laps them) or run again.</summary>
    public sealed record PauseLossy(bool Pause) : Op
    {
        public override string ToString() => Pause ? "PauseLossy" : "ResumeLossy";
    }

    /// <summary>Waits until every lossless group handled everything below the first held claim.</summary>
    public sealed record Drain : Op
    {
        public override string ToString() => "Drain";
    }
}
