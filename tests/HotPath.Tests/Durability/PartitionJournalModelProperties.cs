using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HotPath.Tests.Durability;

/// <summary>
/// Model-based property of the journal: random appends, gaps, flushes, syncs, clean reopens and crashes (with bytes
/// chopped off the tail after the checkpoint) checked against the sequential model of <see cref="JournalModelRun"/>.
/// </summary>
public sealed class PartitionJournalModelProperties
{
    [Property(MaxTest = 60)]
    public Property AppendFlushSyncReopenAndCrash_AnySequence_KeepsAPrefixOfTheModel() =>
        Prop.ForAll(JournalScenario.Arbitrary, scenario =>
        {
            using var run = new JournalModelRun(scenario);
            run.Execute();
        });
}
