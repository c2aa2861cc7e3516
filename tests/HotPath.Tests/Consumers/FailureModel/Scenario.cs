using FsCheck;
using FsCheck.Fluent;
using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>
/// One generated case of the failure-model property: its <see cref="Config"/> and its operations in order (see
/// <see cref="FailureModelRun"/> for what they do and what is checked), and the generator of cases.
/// </summary>
public sealed record Scenario(Config Config, Scenario.Op[] Ops)
{
    public const int Keys = 8;

    public const int MaxHangsPerCase = 2;

    /// <summary>
    /// On (the library bug this guards against is open): when off, permanent failures are generated only for one-partition topics. A member counts the attempts of one failing
    /// event at a time, and any other partition's failure or progress resets that count, so on several partitions a
    /// permanent failure can be retried forever (the group never skips it, never drains, and the writer blocks).
    /// </summary>
    public const bool PermanentFailuresOnSeveralPartitions = true;

    /// <summary>
    /// On (the library bug this guards against is open): when off, a case with a hang has no transient failure. A retried failure does not commit the events its batch handled
    /// before the failing one, so a member fenced in a later batch leaves them to be handled again, past MaxBatchSize.
    /// </summary>
    public const bool TransientFailuresWithHangs = true;

    public override string ToString() =>
        $"{Config}{Environment.NewLine}  ops:{Environment.NewLine}    {string.Join(Environment.NewLine + "    ", Ops.Select((o, i) => $"{i,2}. {o}"))}";

    public abstract record Op;

    /// <summary>Publishes one event per fault, all with key k (so to one partition); <c>Throws</c> is k for transient failures.</summary>
    public sealed record PublishOp(int Key, (Fault Fault, int Throws)[] Events) : Op
    {
        public override string ToString()
        {
            var marks = Events.Select((e, i) => e.Fault switch
            {
                Fault.Transient => $"{i}:T{e.Throws}",
                Fault.Permanent => $"{i}:P",
                Fault.Crash => $"{i}:C",
                Fault.Hang => $"{i}:H",
                _ => null,
            }).Where(m => m is not null);
            return $"publish k{Key} x{Events.Length} [{string.Join(' ', marks)}]";
        }
    }

    public sealed record JoinOp(int Group) : Op
    {
        public override string ToString() => $"join g{Group}";
    }

    public sealed record LeaveOp(int Group, int Pick) : Op
    {
        public override string ToString() => $"leave g{Group} #{Pick}";
    }

    public sealed record RestartOp(int Group, int Pick) : Op
    {
        public override string ToString() => $"restart g{Group} #{Pick}";
    }

    /// <summary>Seeks back to StartOffset + Percent% of the way to the group's committed offset.</summary>
    public sealed record SeekOp(int Group, int Partition, int Percent) : Op
    {
        public override string ToString() => $"seek g{Group} p{Partition} {Percent}%";
    }

    public sealed record LossyPauseOp(bool Pause) : Op
    {
        public override string ToString() => Pause ? "lossy pause" : "lossy resume";
    }

    /// <summary>The generator of cases (no shrinking: a case's outcome depends on timing).</summary>
    public static Arbitrary<Scenario> Arbitrary()
    {
        Gen<Scenario> gen =
            from partitions in Gen.Choose(1, 3)
            from capacity in Gen.Elements(32, 64)
            from batch in Gen.Choose(2, 8)
            from assignor in Gen.Elements("cooperative-sticky", "range", "roundrobin")
            from action in Gen.Elements(ErrorAction.Skip, ErrorAction.DeadLetter)
            from tolerantAttempts in Gen.Choose(2, 3)
            from hasStopper in Gen.Elements(true, true, false)
            from stopperAttempts in Gen.Choose(2, 3)
            from hasLossy in Gen.Elements(true, false)
            from session in Gen.Choose(100, 150)
            from members in Gen.Choose(1, 2)
            let config = new Config(partitions, capacity, batch, assignor, action, tolerantAttempts, hasStopper, stopperAttempts, hasLossy, session, members)
            from count in Gen.Choose(10, 30)
            from ops in Gen.ArrayOf(OpGen(config), count)
            select new Scenario(config, CapHangs(ops));
        return Arb.From(gen);
    }

    private static Gen<Op> OpGen(Config c)
    {
        int lossless = c.HasStopper ? 2 : 1;
        Gen<(Fault, int)> fault = Gen.Frequency(
            (80, Gen.Constant((Fault.None, 0))),
            (8, Gen.Choose(1, c.TransientMax).Select(k => (Fault.Transient, k))),
            (c.Partitions == 1 || PermanentFailuresOnSeveralPartitions ? 5 : 0, Gen.Constant((Fault.Permanent, 0))),
            (4, Gen.Constant((Fault.Crash, c.StopperAttempts))),
            (3, Gen.Constant((Fault.Hang, 0))));
        Gen<Op> publish =
            from key in Gen.Choose(0, Keys - 1)
            from n in Gen.Frequency((4, Gen.Choose(1, 10)), (1, Gen.Choose(c.Capacity / 2, c.Capacity + 16)))
            from events in Gen.ArrayOf(fault, n)
            select (Op)new PublishOp(key, events);
        var ops = new List<(int, Gen<Op>)>
        {
            (10, publish),
            (3, Gen.Choose(0, lossless - 1).Select(g => (Op)new JoinOp(g))),
            (2, Gen.Choose(0, lossless - 1).SelectMany(g => Gen.Choose(0, 5).Select(p => (Op)new LeaveOp(g, p)))),
            (2, Gen.Choose(0, lossless - 1).SelectMany(g => Gen.Choose(0, 5).Select(p => (Op)new RestartOp(g, p)))),
            (3, from g in Gen.Choose(0, lossless - 1) from p in Gen.Choose(0, c.Partitions - 1) from pct in Gen.Choose(0, 100) select (Op)new SeekOp(g, p, pct)),
        };
        if (c.HasLossy)
        {
            ops.Add((2, Gen.Elements(true, false).Select(pause => (Op)new LossyPauseOp(pause))));
        }

        return Gen.Frequency(ops.ToArray());
    }

    /// <summary>At most <see cref="MaxHangsPerCase"/> hangs per case (each costs about 2 x SessionTimeout): later ones become plain events.</summary>
    private static Op[] CapHangs(Op[] ops)
    {
        int hangs = 0;
        ops = [.. ops.Select(op => op is PublishOp publish
            ? publish with { Events = [.. publish.Events.Select(e => e.Fault == Fault.Hang && ++hangs > MaxHangsPerCase ? (Fault.None, 0) : e)] }
            : op)];
        if (hangs == 0 || TransientFailuresWithHangs)
        {
            return ops;
        }

        return [.. ops.Select(op => op is PublishOp publish
            ? publish with { Events = [.. publish.Events.Select(e => e.Fault == Fault.Transient ? (Fault.None, 0) : e)] }
            : op)];
    }
}
