using FsCheck;
using FsCheck.Fluent;
using HotPath.Tests.Support;

namespace HotPath.Tests.Durability;

/// <summary>
/// One generated run of the journal model property (<see cref="JournalModelRun"/>): the segment and index sizes, whether
/// rolls seal in the background (<see cref="HotPath.Durability.JournalSettings.SealInBackground"/>), the alignment of chunk
/// flushes, and the operations in order.
/// </summary>
public sealed record JournalScenario(int SegmentBytes, int IndexIntervalBytes, JournalScenario.Op[] Ops, bool SealInBackground = false, int ChunkBytes = 64)
{
    public static Arbitrary<JournalScenario> Arbitrary { get; } = Arb.From(Generator(), Shrink);

    public static Gen<JournalScenario> Generator() =>
        from segmentBytes in Gen.Elements(128, 512, 2048, 1 << 20)
        from interval in Gen.Elements(1, 64, 4096)
        from count in Gen.Choose(5, 40)
        from ops in Gen.ArrayOf(OpGen(), count)
        from background in Gen.Elements(false, true)
        from chunk in Gen.Elements(32, 64, 256, 65536)
        select new JournalScenario(segmentBytes, interval, ops, background, chunk);

    /// <summary>Fewer operations first, then smaller appends.</summary>
    public static IEnumerable<JournalScenario> Shrink(JournalScenario scenario)
    {
        Op[] ops = scenario.Ops;
        foreach (Op[] fewer in ModelShrink.WithoutChunks(ops))
        {
            yield return scenario with { Ops = fewer };
        }

        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i] is Append { Count: > 1 } append)
            {
                Op[] smaller = [.. ops];
                smaller[i] = new Append(append.Count / 2);
                yield return scenario with { Ops = smaller };
            }
        }
    }

    private static Gen<Op> OpGen() => Gen.Frequency(
        (8, Gen.Frequency((4, Gen.Choose(1, 4)), (1, Gen.Choose(5, 40))).Select(n => (Op)new Append(n))),
        (2, Gen.Choose(1, 6).Select(n => (Op)new Gap(n))),
        (3, Gen.Constant((Op)new Flush())),
        (2, Gen.Constant((Op)new FlushChunks())),
        (2, Gen.Constant((Op)new Sync())),
        (1, Gen.Constant((Op)new ReopenClean())),
        (2, Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Choose(1, 300))).Select(k => (Op)new Crash(k))));

    /// <summary>An operation of the run.</summary>
    public abstract record Op;

    /// <summary>Appends one batch of <paramref name="Count"/> events.</summary>
    public sealed record Append(int Count) : Op;

    /// <summary>Appends a gap of <paramref name="Count"/> offsets.</summary>
    public sealed record Gap(int Count) : Op;

    /// <summary>Flushes the buffered batches.</summary>
    public sealed record Flush : Op;

    /// <summary>Syncs (flush, force, checkpoint).</summary>
    public sealed record Sync : Op;

    /// <summary>Writes whole 64 KiB chunks only (<see cref="HotPath.Durability.PartitionJournal.FlushChunks"/>).</summary>
    public sealed record FlushChunks : Op;

    /// <summary>Disposes (clean close) and opens again.</summary>
    public sealed record ReopenClean : Op;

    /// <summary>Closes without flushing, chops up to <paramref name="ChopBytes"/> bytes after the checkpoint off the last segment, and opens again.</summary>
    public sealed record Crash(int ChopBytes) : Op;
}
