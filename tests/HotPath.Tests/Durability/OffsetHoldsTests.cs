using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// The holds on a group's persisted offset while its transactions' commit records are not durable: released in commit
/// order only, and chained (each new commit learns the latest earlier one that is not durable).
/// </summary>
public sealed class OffsetHoldsTests
{
    private static DurableCommit Commit(long transaction) =>
        new(null!, new TransactionRecord(transaction, [], []), sync: false, participants: [], offsets: []);

    [Fact]
    public void Release_OutOfCommitOrder_KeepsTheFloorUntilEveryEarlierCommitIsDurable()
    {
        var holds = new OffsetHolds();
        Assert.Equal(long.MaxValue, holds.Floor);
        DurableCommit first = Commit(1);
        DurableCommit second = Commit(2);
        DurableCommit third = Commit(3);
        Assert.Null(holds.Hold(5, first, committed: 3));
        Assert.Same(first, holds.Hold(9, second, committed: 5));
        Assert.Equal(3, holds.Floor);

        holds.Release(second);
        Assert.Equal(3, holds.Floor);
        // The latest earlier commit not durable yet is the first (the second is durable already).
        Assert.Same(first, holds.Hold(12, third, committed: 9));

        holds.Release(first);
        Assert.Equal(9, holds.Floor);
        holds.Release(third);
        Assert.Equal(long.MaxValue, holds.Floor);
    }

    [Fact]
    public void HoldsFor_TheSameGroupId_IsOneChainAcrossGroupInstances()
    {
        using var directory = new JournalTestDirectory();
        using PartitionJournal journal = directory.Open();
        var progress = new JournalProgress(journal, "in", 0);
        DurableCommit departed = Commit(1);
        Assert.Null(progress.HoldsFor("g").Hold(7, departed, committed: 4));
        // A new instance of group g holds through the same chain: it waits for the departed instance's commit.
        Assert.Same(departed, progress.HoldsFor("g").Hold(8, Commit(2), committed: 7));
        Assert.Equal(4, progress.PersistableFloor("g"));
        Assert.Equal(long.MaxValue, progress.PersistableFloor("other"));
    }
}
