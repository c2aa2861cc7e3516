using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HotPath.Consumers;
using HotPath.Tests.Support;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>
/// One generated run of the pull-consumer model property: the topic's partitions, the group's assignor and commit mode,
/// each consumer's prefetch, and the operations in order. Consumer numbers in operations are taken modulo the consumers
/// in the group at that moment (an operation on an empty group does nothing), so shrinking keeps them meaningful.
/// </summary>
public sealed record PullScenario(int Partitions, string Assignor, CommitMode Mode, int MaxBatchSize, PullScenario.Op[] Ops)
{
    public static Gen<PullScenario> Generator { get; } =
        from partitions in Gen.Choose(1, 4)
        from assignor in Gen.Elements("range", "roundrobin", "cooperative-sticky")
        from mode in Gen.Elements(CommitMode.AfterBatch, CommitMode.Manual)
        from maxBatch in Gen.Elements(1, 3, 1024)
        from opCount in Gen.Choose(5, 30)
        from ops in Gen.ArrayOf(OpGen(partitions), opCount)
        select new PullScenario(partitions, assignor, mode, maxBatch, ops);

    public static Arbitrary<PullScenario> Arbitrary { get; } = Arb.From(Generator, Shrink);

    /// <summary>Smaller runs first: fewer operations, smaller publishes and consumes, fewer partitions.</summary>
    public static IEnumerable<PullScenario> Shrink(PullScenario scenario)
    {
        foreach (Op[] fewer in ModelShrink.WithoutChunks(scenario.Ops))
        {
            yield return scenario with { Ops = fewer };
        }

        for (int i = 0; i < scenario.Ops.Length; i++)
        {
            Op? smaller = scenario.Ops[i] switch
            {
                Publish { Count: > 1 } publish => publish with { Count = publish.Count / 2 },
                Consume { Count: > 1 } consume => consume with { Count = consume.Count / 2 },
                _ => null,
            };
            if (smaller is not null)
            {
                Op[] ops = [.. scenario.Ops];
                ops[i] = smaller;
                yield return scenario with { Ops = ops };
            }
        }

        if (scenario.Partitions > 1)
        {
            yield return scenario with { Partitions = scenario.Partitions - 1 };
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder($"{Partitions} partition(s), {Assignor}, {Mode}, max batch {MaxBatchSize}");
        text.AppendLine();
        for (int i = 0; i < Ops.Length; i++)
        {
            text.AppendLine($"  {i,2}: {Ops[i]}");
        }

        return text.ToString();
    }

    private static Gen<Op> OpGen(int partitions)
    {
        Gen<int> consumer = Gen.Choose(0, 2);
        Gen<Op> publish =
            from partition in Gen.Choose(0, partitions - 1)
            from count in Gen.Frequency((3, Gen.Choose(1, 6)), (1, Gen.Choose(7, 40)))
            select (Op)new Publish(partition, count);
        Gen<Op> join = Gen.Elements(1, 2, 5, 64).Select(prefetch => (Op)new Join(prefetch));
        Gen<Op> leave = consumer.Select(c => (Op)new Leave(c));
        Gen<Op> consume =
            from c in consumer
            from count in Gen.Choose(1, 20)
            select (Op)new Consume(c, count);
        Gen<Op> commit = consumer.Select(c => (Op)new Commit(c));
        Gen<Op> fence = consumer.Select(c => (Op)new Fence(c));
        return Gen.Frequency((5, publish), (3, join), (2, leave), (6, consume), (2, commit), (1, fence));
    }

    /// <summary>An operation of the run.</summary>
    public abstract record Op;

    /// <summary>Publishes <see cref="Count"/> events to a partition (the value of each is its offset plus 1000 times the partition).</summary>
    public sealed record Publish(int Partition, int Count) : Op;

    /// <summary>A pull consumer joins with this prefetch.</summary>
    public sealed record Join(int Prefetch) : Op;

    /// <summary>A consumer leaves in good order (Dispose).</summary>
    public sealed record Leave(int Consumer) : Op;

    /// <summary>A consumer's caller consumes up to <see cref="Count"/> events, then polls once more if it asked for more than there were.</summary>
    public sealed record Consume(int Consumer, int Count) : Op;

    /// <summary>A consumer commits what it consumed (<c>Commit()</c>).</summary>
    public sealed record Commit(int Consumer) : Op;

    /// <summary>A consumer is declared failed (as the watchdog does after MaxPollInterval), and the group rebalances.</summary>
    public sealed record Fence(int Consumer) : Op;
}
