using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;

namespace HotPath.Tests.Durability;

/// <summary>
/// One generated run of the durable-topic model property: the topic's shape (a tiny ring, so readers that resume below it
/// catch up from the journal; 4 KiB segments, so segments roll), its durability settings, the groups that exist from the
/// start (each reading committed or uncommitted), and the operations in order. Group, member and partition numbers in
/// operations are taken modulo the actual counts, so shrinking keeps every operation meaningful. <see cref="ToString"/>
/// prints the run as a readable list.
/// </summary>
public sealed record DurableTopicScenario(
    int Partitions,
    int Capacity,
    PublishMode Mode,
    SyncPolicy Sync,
    int MaxBatch,
    bool Retention,
    int MaxBatchSize,
    DurableTopicScenario.GroupSpec[] Groups,
    DurableTopicScenario.Op[] Ops)
{
    public const int KeyCount = 6;

    /// <summary>Partitions at most; a transaction's event on partition p has the key index <c>KeyCount + p</c>.</summary>
    public const int MaxPartitions = 3;

    /// <summary>Groups at most, counting those created during the run.</summary>
    public const int MaxGroups = 3;

    public static Gen<DurableTopicScenario> Generator { get; } =
        from partitions in Gen.Choose(2, MaxPartitions)
        from capacity in Gen.Elements(4, 8, 16)
        from mode in Gen.Elements(PublishMode.SingleWriter, PublishMode.MultiWriter)
        from sync in Gen.Elements(SyncPolicy.None, SyncPolicy.Interval, SyncPolicy.EveryBatch)
        from maxBatch in Gen.Elements(1, 3, 1024)
        from retention in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from maxBatchSize in Gen.Elements(1, 4, 256)
        from groupCount in Gen.Choose(1, 2)
        from groups in Gen.ArrayOf(GroupGen, groupCount)
        from opCount in Gen.Choose(8, 30)
        from ops in Gen.ArrayOf(OpGen(retention), opCount)
        select new DurableTopicScenario(partitions, capacity, mode, sync, maxBatch, retention, maxBatchSize, groups, ops);

    public static Arbitrary<DurableTopicScenario> Arbitrary { get; } = Arb.From(Generator, Shrink);

    private static Gen<GroupSpec> GroupGen { get; } =
        from journaledOnly in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from initialMembers in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(1, 2)))
        from readCommitted in Gen.Elements(true, false)
        select new GroupSpec(journaledOnly, initialMembers, readCommitted);

    /// <summary>
    /// Smaller runs first: fewer operations, smaller publishes and transactions (without interleaved events), fewer
    /// groups, partitions and no retention.
    /// </summary>
    public static IEnumerable<DurableTopicScenario> Shrink(DurableTopicScenario scenario)
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
                smaller[i] = publish with { Count = publish.Count / 2 };
                yield return scenario with { Ops = smaller };
            }
        }

        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i] is Transaction transaction)
            {
                if (transaction.Interleaved > 0)
                {
                    Op[] plain = [.. ops];
                    plain[i] = transaction with { Interleaved = 0 };
                    yield return scenario with { Ops = plain };
                }

                if (transaction.Count > 2)
                {
                    Op[] smaller = [.. ops];
                    smaller[i] = transaction with { Count = Math.Max(2, transaction.Count / 2) };
                    yield return scenario with { Ops = smaller };
                }
            }
        }

        if (scenario.Groups.Length > 1)
        {
            yield return scenario with { Groups = scenario.Groups[..^1] };
        }

        if (scenario.Partitions > 2)
        {
            yield return scenario with { Partitions = scenario.Partitions - 1 };
        }

        if (scenario.Retention)
        {
            yield return scenario with { Retention = false, Ops = [.. ops.Where(o => o is not AwaitRetention)] };
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"topic: {Partitions} partition(s) x {Capacity} slots, {Mode}, sync {Sync}, journal batch {MaxBatch}, ");
        text.Append($"{(Retention ? "retention 4 KiB, " : "")}member batch {MaxBatchSize}; groups: ");
        text.AppendJoin(", ", Groups.Select((g, i) => $"g{i}({g})"));
        text.AppendLine();
        for (int i = 0; i < Ops.Length; i++)
        {
            Op op = Ops[i] is Transaction transaction ? transaction with { First = transaction.First % Partitions } : Ops[i];
            text.AppendLine($"  {i,2}: {op}");
        }

        return text.ToString();
    }

    private static Gen<Op> OpGen(bool retention)
    {
        Gen<int> groupGen = Gen.Choose(0, MaxGroups - 1);
        Gen<Op> publish =
            from key in Gen.Choose(0, KeyCount - 1)
            from count in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 48)))
            select (Op)new Publish(key, count);
        Gen<Op> join = groupGen.Select(g => (Op)new Join(g));
        Gen<Op> leave =
            from g in groupGen
            from member in Gen.Choose(0, 2)
            select (Op)new Leave(g, member);
        Gen<Op> drain = groupGen.Select(g => (Op)new WaitForDrain(g));
        Gen<Op> restart = Gen.Constant((Op)new Restart());
        Gen<Op> create = GroupGen.Select(spec => (Op)new CreateGroup(spec));
        Gen<Op> awaitRetention = Gen.Constant((Op)new AwaitRetention());
        Gen<Op> transaction =
            from first in Gen.Choose(0, MaxPartitions - 1)
            from count in Gen.Frequency((3, Gen.Choose(2, 8)), (1, Gen.Choose(9, 24)))
            from abort in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
            from key in Gen.Choose(0, KeyCount - 1)
            from interleaved in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 4)))
            select (Op)new Transaction(first, count, abort, key, interleaved);
        return retention
            ? Gen.Frequency((6, publish), (3, transaction), (3, join), (3, leave), (1, drain), (2, restart), (1, create), (1, awaitRetention))
            : Gen.Frequency((6, publish), (3, transaction), (3, join), (3, leave), (1, drain), (2, restart), (1, create));
    }

    /// <summary>
    /// A group: whether it reads journaled events only, how many members join when it is created, and whether it reads
    /// committed (skips aborted transactions' events) or uncommitted (gets them too, as in Kafka).
    /// </summary>
    public sealed record GroupSpec(bool JournaledOnly, int InitialMembers, bool ReadCommitted)
    {
        public override string ToString() =>
            $"{(JournaledOnly ? "journaled-only, " : "")}{(ReadCommitted ? "read-committed" : "read-uncommitted")}, {InitialMembers} member(s)";
    }

    /// <summary>An operation of the run.</summary>
    public abstract record Op;

    /// <summary>Publishes up to <see cref="Count"/> events with key <c>k{Key}</c> (fewer when a member-less group holds the ring).</summary>
    public sealed record Publish(int Key, int Count) : Op
    {
        public override string ToString() => $"Publish(k{Key}, {Count})";
    }

    /// <summary>
    /// One transaction, begun and ended within this operation: up to <see cref="Count"/> events round-robin over the
    /// partitions from <see cref="First"/> (modulo the partition count; so two or more partitions from 2 events on),
    /// after half of them <see cref="Interleaved"/> plain events with key <c>k{Key}</c> (held from read-committed readers
    /// while the transaction is open), then a commit or an abort. Fewer events when a member-less group holds the ring.
    /// </summary>
    public sealed record Transaction(int First, int Count, bool Abort, int Key, int Interleaved) : Op
    {
        public override string ToString() =>
            $"Transaction(from p{First}, {Count}{(Interleaved > 0 ? $", {Interleaved} plain k{Key} inside" : "")}, {(Abort ? "abort" : "commit")})";
    }

    /// <summary>A new member joins the group.</summary>
    public sealed record Join(int Group) : Op
    {
        public override string ToString() => $"Join(g{Group})";
    }

    /// <summary>The member at index <see cref="Member"/> (modulo the member count) leaves; nothing when the group is empty.</summary>
    public sealed record Leave(int Group, int Member) : Op
    {
        public override string ToString() => $"Leave(g{Group}, #{Member})";
    }

    /// <summary>Waits until the group handled everything published (nothing to wait for when it has no member).</summary>
    public sealed record WaitForDrain(int Group) : Op
    {
        public override string ToString() => $"WaitForDrain(g{Group})";
    }

    /// <summary>Disposes every group (its members commit what they handled) and the topic, then reopens the directory and the groups.</summary>
    public sealed record Restart : Op
    {
        public override string ToString() => "Restart";
    }

    /// <summary>A brand-new group is created now (at most <see cref="MaxGroups"/> in all): it starts at the journal's start.</summary>
    public sealed record CreateGroup(GroupSpec Spec) : Op
    {
        public override string ToString() => $"CreateGroup({Spec})";
    }

    /// <summary>Waits past the journaller's retention check (a little over a second), so retention runs; once per run.</summary>
    public sealed record AwaitRetention : Op
    {
        public override string ToString() => "AwaitRetention";
    }
}
