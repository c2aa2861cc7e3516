using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HotPath.Tests.Support;

namespace HotPath.Tests.Transactions;

/// <summary>
/// One generated run of the publisher-level transaction model (<see cref="TxnModelRun"/>): one or two topics of 1-3
/// partitions (4 or 8 slots, either publish mode) and the operations in order, all on the test thread. Targets are
/// picked modulo what exists when the operation runs (topic, partition, publisher, reader), so every shrunk run is
/// still a valid run.
/// </summary>
public sealed record TxnScenario(TxnScenario.TopicSpec[] Topics, TxnScenario.Op[] Ops)
{
    /// <summary>Transactional ids in play ("t0", "t1", "t2").</summary>
    public const int Ids = 3;

    public static Arbitrary<TxnScenario> Arbitrary { get; } = Arb.From(Generator(), Shrink);

    /// <summary>
    /// Transactions as episodes (Begin, one to six publishes, then commit, abort, a coordinator abort followed by what
    /// the application does next, disposal, a fencing re-creation, or nothing), interleaved at random with each other and
    /// with any operation at all (plain publishes, readers, reads, and misplaced publisher calls). Every id is created first.
    /// </summary>
    public static Gen<TxnScenario> Generator() =>
        from topicCount in Gen.Elements(1, 1, 2)
        from topics in Gen.ArrayOf(TopicGen(), topicCount)
        from episodes in Gen.Choose(2, 6).SelectMany(n => Gen.ArrayOf(EpisodeGen(), n))
        from noise in Gen.Choose(4, 24).SelectMany(n => Gen.ArrayOf(OpGen(), n))
        from readers in Gen.Choose(0, 2).SelectMany(n => Gen.ArrayOf(NewReaderGen(), n))
        from picks in Gen.ArrayOf(Gen.Choose(0, 1 << 20), 80)
        select new TxnScenario(topics, [.. Enumerable.Range(0, Ids).Select(id => (Op)new Create(id)), .. readers, .. Interleave([.. episodes, noise], picks)]);

    /// <summary>Merges the streams, keeping each one's order; <paramref name="picks"/> chooses the stream of each step.</summary>
    private static IEnumerable<Op> Interleave(Op[][] streams, int[] picks)
    {
        int[] next = new int[streams.Length];
        for (int step = 0; ; step++)
        {
            int[] open = [.. Enumerable.Range(0, streams.Length).Where(i => next[i] < streams[i].Length)];
            if (open.Length == 0)
            {
                yield break;
            }

            int stream = open[picks[step % picks.Length] % open.Length];
            yield return streams[stream][next[stream]++];
        }
    }

    private static Gen<Op[]> EpisodeGen() =>
        from id in Gen.Choose(0, Ids - 1)
        let pub = new Pub(id, false)
        from sends in Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(SendGen(Gen.Constant(pub)), n))
        from after in Gen.Elements<Op>(new Abort(pub), new Commit(pub), new Send(pub, 0, 0, SendKind.To, 1), new Begin(pub))
        from end in Gen.Frequency(
            (6, Gen.Constant(new Op[] { new Commit(pub) })),
            (2, Gen.Constant(new Op[] { new Abort(pub) })),
            (2, Gen.Constant(new Op[] { new Timeout(pub), after, new Abort(pub) })),
            (1, Gen.Constant(new Op[] { new Close(pub), new Create(id) })),
            (1, Gen.Constant(new Op[] { new Create(id) })),
            (1, Gen.Constant(Array.Empty<Op>())))
        select (Op[])[new Begin(pub), .. sends, .. end];

    /// <summary>Fewer operations first, then smaller counts, fewer topics and partitions, the 4-slot ring.</summary>
    public static IEnumerable<TxnScenario> Shrink(TxnScenario scenario)
    {
        Op[] ops = scenario.Ops;
        foreach (Op[] fewer in ModelShrink.WithoutChunks(ops))
        {
            yield return scenario with { Ops = fewer };
        }

        for (int i = 0; i < ops.Length; i++)
        {
            Op? smaller = ops[i] switch
            {
                Plain { Count: > 1 } p => p with { Count = p.Count - 1 },
                Send { Count: > 1 } s => s with { Count = s.Count - 1 },
                Read { Max: > 1 } r => r with { Max = r.Max - 1 },
                _ => null,
            };
            if (smaller is not null)
            {
                Op[] copy = [.. ops];
                copy[i] = smaller;
                yield return scenario with { Ops = copy };
            }
        }

        if (scenario.Topics.Length > 1)
        {
            yield return scenario with { Topics = scenario.Topics[..1] };
        }

        for (int t = 0; t < scenario.Topics.Length; t++)
        {
            TopicSpec spec = scenario.Topics[t];
            foreach (TopicSpec simpler in new[] { spec with { Partitions = 1 }, spec with { Capacity = 4 } })
            {
                if (simpler != spec)
                {
                    TopicSpec[] copy = [.. scenario.Topics];
                    copy[t] = simpler;
                    yield return scenario with { Topics = copy };
                }
            }
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (int t = 0; t < Topics.Length; t++)
        {
            text.AppendLine($"topic {t}: {Topics[t]}");
        }

        for (int i = 0; i < Ops.Length; i++)
        {
            text.AppendLine($"  {i,2}: {Ops[i]}");
        }

        return text.ToString();
    }

    private static Gen<TopicSpec> TopicGen() =>
        from partitions in Gen.Choose(1, 3)
        from capacity in Gen.Elements(4, 8)
        from singleWriter in Gen.Elements(false, true)
        select new TopicSpec(partitions, capacity, singleWriter);

    private static Gen<Op> OpGen()
    {
        Gen<Pub> pub = from id in Gen.Choose(0, Ids - 1) from stale in Gen.Frequency((6, Gen.Constant(false)), (1, Gen.Constant(true))) select new Pub(id, stale);
        Gen<int> index = Gen.Choose(0, 5);
        return Gen.Frequency(
            (6, from t in index from p in index from n in Gen.Choose(1, 3) select (Op)new Plain(t, p, n)),
            (8, from r in index from max in Gen.Choose(0, 4) from poll in Gen.Elements(false, true) select (Op)new Read(r, max, poll)),
            (3, NewReaderGen()),
            (1, index.Select(r => (Op)new CloseReader(r))),
            (1, Gen.Choose(0, Ids - 1).Select(id => (Op)new Create(id))),
            (1, pub.Select(p => (Op)new Begin(p))),
            (2, SendGen(pub)),
            (1, pub.Select(p => (Op)new Commit(p))),
            (1, pub.Select(p => (Op)new Abort(p))),
            (1, pub.Select(p => (Op)new Timeout(p))),
            (1, pub.Select(p => (Op)new Close(p))));
    }

    private static Gen<Op> SendGen(Gen<Pub> pub)
    {
        Gen<int> index = Gen.Choose(0, 5);
        Gen<SendKind> kind = Gen.Frequency(
            (4, Gen.Constant(SendKind.To)),
            (2, Gen.Constant(SendKind.Key)),
            (2, Gen.Constant(SendKind.Batch)),
            (2, Gen.Constant(SendKind.Claim)),
            (1, Gen.Constant(SendKind.ClaimBatch)),
            (2, Gen.Constant(SendKind.Abandon)),
            (1, Gen.Constant(SendKind.AbandonBatch)),
            (1, Gen.Constant(SendKind.Held)),
            (1, Gen.Constant(SendKind.HeldAbandon)));
        return from p in pub from t in index from part in index from k in kind from n in Gen.Choose(1, 3) select (Op)new Send(p, t, part, k, n);
    }

    private static Gen<Op> NewReaderGen() =>
        from t in Gen.Choose(0, 5)
        from p in Gen.Choose(0, 5)
        from rc in Gen.Elements(true, true, false)
        from latest in Gen.Elements(false, false, true)
        select (Op)new NewReader(t, p, rc, latest);

    /// <summary>A topic: partitions, slots per partition, publish mode.</summary>
    public sealed record TopicSpec(int Partitions, int Capacity, bool SingleWriter)
    {
        public override string ToString() => $"{Partitions} partition(s) x {Capacity} slots, {(SingleWriter ? "single" : "multi")}-writer";
    }

    /// <summary>
    /// A publisher: the newest instance of transactional id "t<see cref="Id"/>", or with <see cref="Stale"/> the oldest
    /// one (fenced or disposed, when it exists).
    /// </summary>
    public readonly record struct Pub(int Id, bool Stale)
    {
        public override string ToString() => Stale ? $"t{Id}(stale)" : $"t{Id}";
    }

    /// <summary>How a transactional publish is made; <c>Abandon*</c> claims and disposes unpublished, <c>Held*</c> holds the
    /// claim (multi-writer) across one or two plain publishes to the same partition.</summary>
    public enum SendKind
    {
        To,
        Key,
        Batch,
        Claim,
        ClaimBatch,
        Abandon,
        AbandonBatch,
        Held,
        HeldAbandon,
    }

    public abstract record Op;

    /// <summary><see cref="Count"/> plain (non-transactional) TryPublish calls.</summary>
    public sealed record Plain(int Topic, int Partition, int Count) : Op;

    /// <summary>CreatePublisher("t<see cref="Id"/>"): fences the previous instance.</summary>
    public sealed record Create(int Id) : Op;

    public sealed record Begin(Pub Pub) : Op;

    /// <summary>A publish in the transaction; <see cref="Partition"/> is the key for <see cref="SendKind.Key"/>;
    /// <see cref="Count"/> is the batch size, or the plain publishes under a held claim.</summary>
    public sealed record Send(Pub Pub, int Topic, int Partition, SendKind Kind, int Count) : Op;

    public sealed record Commit(Pub Pub) : Op;

    public sealed record Abort(Pub Pub) : Op;

    /// <summary>The coordinator aborts the open transaction as on a time-out (AbortFromOutside, not fenced).</summary>
    public sealed record Timeout(Pub Pub) : Op;

    /// <summary>Disposes the publisher.</summary>
    public sealed record Close(Pub Pub) : Op;

    public sealed record NewReader(int Topic, int Partition, bool ReadCommitted, bool Latest) : Op;

    /// <summary>TryRead up to <see cref="Max"/> events, or Poll up to <see cref="Max"/> offsets; 0 reads everything.</summary>
    public sealed record Read(int Reader, int Max, bool Poll) : Op;

    public sealed record CloseReader(int Reader) : Op;
}
