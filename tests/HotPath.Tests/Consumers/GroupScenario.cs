using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HotPath.Tests.Support;

namespace HotPath.Tests.Consumers;

/// <summary>
/// One generated run of the consumer-group model property: the topic's shape, the groups, and the operations
/// in order. Group, member and partition numbers in operations are taken modulo the actual counts, so shrinking
/// the shape keeps every operation meaningful. With <see cref="Retain"/>, a plain partition reader per partition
/// holds the retained window open (so seeks can go back) until <see cref="Trim"/> operations move it on.
/// <see cref="CreateGroup"/> adds a group after publishing started; operations name groups modulo the count so far.
/// <see cref="ToString"/> prints the run as a readable list.
/// </summary>
public sealed record GroupScenario(
    int Partitions,
    int Capacity,
    bool SingleWriter,
    bool Retain,
    int MaxBatchSize,
    GroupScenario.GroupSpec[] Groups,
    GroupScenario.Op[] Ops)
{
    public const int KeyCount = 8;

    /// <summary>Groups at most, counting those created during the run.</summary>
    public const int MaxGroups = 4;

    public enum SeekKind
    {
        InWindow,
        BelowWindow,
        AboveWindow,
    }

    public static Gen<GroupScenario> Generator { get; } =
        from partitions in Gen.Choose(1, 4)
        from capacity in Gen.Elements(16, 32, 64)
        from singleWriter in Gen.Elements(false, true)
        from retain in Gen.Elements(false, true)
        from maxBatch in Gen.Elements(1, 4, 1024)
        from groupCount in Gen.Choose(1, 3)
        from groups in Gen.ArrayOf(GroupGen, groupCount)
        from opCount in Gen.Choose(10, 40)
        from ops in Gen.ArrayOf(OpGen(groupCount, partitions), opCount)
        select new GroupScenario(partitions, capacity, singleWriter, retain, maxBatch, groups, ops);

    public static Arbitrary<GroupScenario> Arbitrary { get; } = Arb.From(Generator, Shrink);

    private static Gen<GroupSpec> GroupGen { get; } =
        from assignor in Gen.Elements("range", "roundrobin", "cooperative-sticky")
        from wait in Gen.Elements("blocking", "blocking", "spin-then-sleep")
        from initialMembers in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(1, 2)))
        select new GroupSpec(assignor, wait, initialMembers);

    /// <summary>Smaller runs first: fewer operations, smaller publishes, fewer groups and partitions.</summary>
    public static IEnumerable<GroupScenario> Shrink(GroupScenario scenario)
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

        if (scenario.Retain)
        {
            yield return scenario with { Retain = false };
        }

        if (scenario.Groups.Length > 1)
        {
            yield return scenario with { Groups = scenario.Groups[..^1] };
        }

        if (scenario.Partitions > 1)
        {
            yield return scenario with { Partitions = scenario.Partitions - 1 };
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"topic: {Partitions} partition(s) x {Capacity} slots, {(SingleWriter ? "single" : "multi")}-writer, {(Retain ? "retaining reader, " : "")}max batch {MaxBatchSize}; groups: ");
        text.AppendJoin(", ", Groups.Select((g, i) => $"g{i}({g.Assignor}, {g.Wait}, {g.InitialMembers} member(s))"));
        text.AppendLine();
        for (int i = 0; i < Ops.Length; i++)
        {
            text.AppendLine($"  {i,2}: {Ops[i]}");
        }

        return text.ToString();
    }

    private static Gen<Op> OpGen(int groups, int partitions)
    {
        Gen<int> groupGen = Gen.Choose(0, groups - 1);
        Gen<Op> publish =
            from key in Gen.Choose(0, KeyCount - 1)
            from count in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 80)))
            select (Op)new Publish(key, count);
        Gen<Op> join = groupGen.Select(g => (Op)new Join(g));
        Gen<Op> leave =
            from g in groupGen
            from member in Gen.Choose(0, 2)
            select (Op)new Leave(g, member);
        Gen<Op> seek =
            from g in groupGen
            from partition in Gen.Choose(0, partitions - 1)
            from choice in Gen.Choose(0, 1000)
            from kind in Gen.Frequency(
                (4, Gen.Constant(SeekKind.InWindow)), (1, Gen.Constant(SeekKind.BelowWindow)), (1, Gen.Constant(SeekKind.AboveWindow)))
            select (Op)new Seek(g, partition, choice, kind);
        Gen<Op> drain = groupGen.Select(g => (Op)new WaitForDrain(g));
        Gen<Op> trim =
            from partition in Gen.Choose(0, partitions - 1)
            from count in Gen.Choose(1, 24)
            select (Op)new Trim(partition, count);
        Gen<Op> create = GroupGen.Select(spec => (Op)new CreateGroup(spec));
        return Gen.Frequency((6, publish), (2, join), (2, leave), (3, seek), (1, drain), (2, trim), (1, create));
    }

    /// <summary>A group: its assignor's name, its members' wait strategy, and how many members join before the first operation.</summary>
    public sealed record GroupSpec(string Assignor, string Wait, int InitialMembers);

    /// <summary>An operation of the run.</summary>
    public abstract record Op;

    /// <summary>Publishes up to <see cref="Count"/> events with key <c>k{Key}</c> (fewer when a member-less group holds the ring).</summary>
    public sealed record Publish(int Key, int Count) : Op
    {
        public override string ToString() => $"Publish(k{Key}, {Count})";
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

    /// <summary>Seeks the group on a partition; <see cref="Choice"/> picks the offset in (or next to) the retained window.</summary>
    public sealed record Seek(int Group, int Partition, int Choice, SeekKind Kind) : Op
    {
        public override string ToString() => $"Seek(g{Group}, p{Partition}, {Kind} #{Choice})";
    }

    /// <summary>The retaining reader of a partition reads and commits up to <see cref="Count"/> events (nothing without <see cref="Retain"/>).</summary>
    public sealed record Trim(int Partition, int Count) : Op
    {
        public override string ToString() => $"Trim(p{Partition}, {Count})";
    }

    /// <summary>A new group is created now, after publishing started (at most <see cref="MaxGroups"/> in all), and its members join.</summary>
    public sealed record CreateGroup(GroupSpec Spec) : Op
    {
        public override string ToString() => $"CreateGroup({Spec.Assignor}, {Spec.Wait}, {Spec.InitialMembers} member(s))";
    }

    /// <summary>Waits until the group handled everything published (nothing to wait for when it has no member).</summary>
    public sealed record WaitForDrain(int Group) : Op
    {
        public override string ToString() => $"WaitForDrain(g{Group})";
    }
}
