using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// Model-based property of <see cref="OffsetStore"/>: random appends, flushes, syncs, clean reopens and crashes against
/// a dictionary. A crash closes the store and chops the file anywhere between the last sync and its end (what a power
/// loss may leave); the reopened store must then equal the model as of the last record boundary at or before the chop,
/// which is at or after the last sync, and report a torn tail exactly when the chop fell inside a record.
/// </summary>
public sealed class OffsetStoreModelProperties
{
    private static readonly string[] s_groups = ["billing", "audit", "ünïcode-group", new string('g', 255)];

    [Property(MaxTest = 60)]
    public Property RandomOperations_WithCleanReopensAndCrashChops_MatchTheModel() =>
        Prop.ForAll(Arb.From(ScenarioGen), scenario => Run(scenario.CompactBytes, scenario.Ops));

    private static Gen<Scenario> ScenarioGen =>
        from compactBytes in Gen.Elements(1L, 512L, 1L << 20)
        from count in Gen.Choose(1, 40)
        from ops in Gen.ArrayOf(OpGen, count)
        select new Scenario(compactBytes, ops);

    private static Gen<Op> OpGen => Gen.Frequency(
        (8, from n in Gen.Choose(1, 4)
            from entries in Gen.ArrayOf(EntryGen, n)
            select (Op)new AppendOp(entries)),
        (2, Gen.Constant((Op)new FlushOp())),
        (2, Gen.Constant((Op)new SyncOp())),
        (1, Gen.Constant((Op)new ReopenOp())),
        (2, Gen.Choose(0, 1000).Select(permille => (Op)new CrashOp(permille))));

    private static Gen<OffsetEntry> EntryGen =>
        from g in Gen.Choose(0, s_groups.Length - 1)
        from partition in Gen.Choose(0, 2)
        from offset in Gen.Frequency((3, Gen.Choose(0, 1000).Select(o => (long)o)), (1, Gen.Constant(long.MaxValue)))
        select new OffsetEntry(s_groups[g], partition, offset);

    private static void Run(long compactBytes, Op[] ops)
    {
        using var temp = new TempDirectory();
        string directory = temp.Combine("offsets");
        var model = new Dictionary<(string, int), long>();

        // Record boundaries since the last point known to be on disk (open, sync, compaction): (file length, model there).
        var boundaries = new List<(long Length, Dictionary<(string, int), long> State)>();
        OffsetStore store = OffsetStore.Open(directory, compactBytes);
        boundaries.Add((store.FileBytes, new(model)));
        try
        {
            foreach (Op op in ops)
            {
                switch (op)
                {
                    case AppendOp append:
                        long compactionsBefore = store.Compactions;
                        store.Append(append.Entries);
                        foreach (OffsetEntry entry in append.Entries)
                        {
                            model[(entry.GroupId, entry.Partition)] = entry.Offset;
                        }

                        if (store.Compactions != compactionsBefore)
                        {
                            boundaries.Clear();
                        }

                        boundaries.Add((store.FileBytes, new(model)));
                        break;
                    case FlushOp:
                        store.Flush();
                        break;
                    case SyncOp:
                        store.Sync();
                        boundaries.Clear();
                        boundaries.Add((store.FileBytes, new(model)));
                        break;
                    case ReopenOp:
                        long length = store.FileBytes;
                        store.Dispose();
                        store = OffsetStore.Open(directory, compactBytes);
                        Assert.Equal(model, store.Snapshot());
                        Assert.False(store.Recovery.TruncatedTornTail, store.Recovery.ToString());
                        Assert.Equal(length, store.FileBytes);
                        break;
                    case CrashOp crash:
                        store.Dispose();
                        long synced = boundaries[0].Length;
                        long full = new FileInfo(store.Path).Length;
                        long chop = synced + ((full - synced) * crash.Permille / 1000);
                        using (var file = new FileStream(store.Path, FileMode.Open))
                        {
                            file.SetLength(chop);
                        }

                        var (kept, state) = boundaries.Last(b => b.Length <= chop);
                        store = OffsetStore.Open(directory, compactBytes);
                        Assert.Equal(state, store.Snapshot());
                        Assert.Equal(chop != kept, store.Recovery.TruncatedTornTail);
                        Assert.Equal(kept, store.FileBytes);
                        model = new(state);
                        boundaries.Clear();
                        boundaries.Add((kept, new(model)));
                        break;
                }
            }

            store.Dispose();
            store = OffsetStore.Open(directory, compactBytes);
            Assert.Equal(model, store.Snapshot());
        }
        finally
        {
            store.Dispose();
        }
    }

    internal sealed record Scenario(long CompactBytes, Op[] Ops)
    {
        public override string ToString() => $"compactBytes={CompactBytes}: {string.Join(", ", Ops.Select(o => o.ToString()))}";
    }

    internal abstract record Op;

    internal sealed record AppendOp(OffsetEntry[] Entries) : Op
    {
        public override string ToString() => $"Append[{string.Join("; ", Entries.Select(e => $"{e.GroupId[..Math.Min(8, e.GroupId.Length)]}/{e.Partition}={e.Offset}"))}]";
    }

    internal sealed record FlushOp : Op;

    internal sealed record SyncOp : Op;

    internal sealed record ReopenOp : Op;

    internal sealed record CrashOp(int Permille) : Op;
}
