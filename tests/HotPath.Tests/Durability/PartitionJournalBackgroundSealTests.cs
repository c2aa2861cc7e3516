using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="JournalSettings.SealInBackground"/> (sync None): a roll does not wait for the sealed segment to reach stable
/// storage, the checkpoint follows the seal, and a failed seal fails the journal's next flush.
/// </summary>
public sealed class PartitionJournalBackgroundSealTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Roll_WhileTheSealIsBlocked_TheAppenderGoesOnAndTheCheckpointWaitsForTheSeal()
    {
        using var dir = new JournalTestDirectory();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        JournalCheckpoint opened = journal.Checkpoint;
        journal.BeforeSealForTest = _ =>
        {
            entered.Set();
            Assert.True(release.Wait(Patience), "the test never released the seal");
        };

        long offset = AppendUntilSegments(journal, 2);
        long rolledAt = journal.EndOffset - 4;
        Assert.True(entered.Wait(Patience), "no seal started after the roll");

        // The seal is blocked: appends, flushes and reads go on in the new segment (two batches fit in it: no second roll).
        for (int i = 0; i < 2; i++)
        {
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
            offset += 4;
            journal.Flush();
        }

        Assert.Equal(offset, journal.FlushedEnd);
        Assert.True(journal.SealPendingForTest);
        Assert.Equal(opened, journal.Checkpoint);
        Assert.Equal(0, journal.SyncedEnd);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(journal);
        Assert.Equal(offset, entries.Count);

        release.Set();
        WaitForSeal(journal);
        long secondBase = SecondSegmentBase(dir);
        Assert.Equal(rolledAt, secondBase);
        Assert.Equal(new JournalCheckpoint(secondBase, FileHeaderLayout.Size, secondBase), journal.Checkpoint);
        Assert.Equal(secondBase, journal.SyncedEnd);

        journal.Sync();
        Assert.Equal(offset, journal.SyncedEnd);
    }

    [Fact]
    public void Roll_WithoutBackgroundSeal_ForcesAndCheckpointsBeforeItReturns()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 512);
        int sealsStarted = 0;
        journal.BeforeSealForTest = _ => Interlocked.Increment(ref sealsStarted);

        AppendUntilSegments(journal, 2);

        Assert.False(journal.SealPendingForTest);
        Assert.Equal(0, sealsStarted);
        long secondBase = SecondSegmentBase(dir);
        Assert.Equal(new JournalCheckpoint(secondBase, FileHeaderLayout.Size, secondBase), journal.Checkpoint);
        Assert.Equal(secondBase, journal.SyncedEnd);
    }

    [Fact]
    public void Flush_AfterTheBackgroundSealFailed_FailsTheJournalNamingTheSegmentAndCloseWritesNoCheckpoint()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        JournalCheckpoint opened = journal.Checkpoint;
        // The seal fails only once the appends are done: a seal that failed while the helper still flushed was reported by
        // the helper's own flush, before the loop below (seen once in CI).
        using var sealMayFail = new ManualResetEventSlim(false);
        journal.BeforeSealForTest = _ =>
        {
            sealMayFail.Wait(Patience);
            throw new IOException("the test's disk refused the sync");
        };

        long offset = AppendUntilSegments(journal, 2);
        sealMayFail.Set();
        JournalException? failure = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (failure is null && clock.Elapsed < Patience)
        {
            failure = Record.Exception(journal.Flush) as JournalException;
            Thread.Yield();
        }

        Assert.NotNull(failure);
        Assert.Equal(dir.SegmentPath(0), failure.Path);
        Assert.Contains("the test's disk refused the sync", failure.Message);
        // Failed for good: appends, flushes and syncs throw it again; the close writes no checkpoint past the open one.
        Assert.Same(failure, Assert.Throws<JournalException>(() => journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 1), 1)));
        Assert.Same(failure, Assert.Throws<JournalException>(journal.Flush));
        Assert.Same(failure, Assert.Throws<JournalException>(journal.Sync));
        journal.Dispose();
        Assert.Equal(opened, JournalCheckpoint.Load(dir.Partition));
        using PartitionJournal reopened = dir.Open(segmentBytes: 512, sealInBackground: true);
        Assert.Equal(offset, reopened.EndOffset);
    }

    [Fact]
    public void Dispose_RightAfterARoll_WaitsForTheSealAndTheReopenedJournalHoldsEverything()
    {
        using var dir = new JournalTestDirectory();
        long offset;
        using (PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true))
        {
            journal.BeforeSealForTest = _ => Thread.Sleep(50);
            offset = AppendUntilSegments(journal, 3);
        }

        using PartitionJournal reopened = dir.Open(segmentBytes: 512, sealInBackground: true);
        Assert.False(reopened.Recovery.Truncated, reopened.Recovery.ToString());
        Assert.Equal(offset, reopened.EndOffset);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(reopened);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(JournalTestDirectory.Events(i, 1), entries[i]);
        }
    }

    [Fact]
    public void Open_AfterAMachineCrashWhileTheSealWasPending_CutsTheTornSegmentAndDeletesTheOneAfterIt()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        // The seal never finishes, so no checkpoint names the second segment: what a machine crash during the seal leaves.
        journal.BeforeSealForTest = _ => throw new IOException("the machine crashed");
        long end = AppendUntilRolled(journal, 2);
        journal.AbandonForTest();
        long secondBase = SecondSegmentBase(dir);
        long secondLength = new FileInfo(dir.SegmentPath(secondBase)).Length;
        long firstLength = new FileInfo(dir.SegmentPath(0)).Length;
        Assert.Equal(16, secondBase);
        Assert.Equal(20, end);
        // The tear: the sealed segment's third batch (offsets 8 to 11) never reached the disk whole.
        long tornAt = FileHeaderLayout.Size + (2 * FrameOf(4));
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), tornAt + FrameOf(0) + 1);

        using PartitionJournal reopened = dir.Open(segmentBytes: 512, sealInBackground: true);

        Assert.Equal(8, reopened.EndOffset);
        Assert.Equal(1, reopened.SegmentCount);
        Assert.False(File.Exists(dir.SegmentPath(secondBase)));
        Assert.True(reopened.Recovery.Truncated);
        Assert.Equal(dir.SegmentPath(0), reopened.Recovery.TruncatedFile);
        Assert.Equal(tornAt, reopened.Recovery.TruncatedAt);
        Assert.Equal(firstLength - tornAt + secondLength, reopened.Recovery.TruncatedBytes);
        Assert.Contains("checksum mismatch", reopened.Recovery.TruncationReason);
        Assert.Contains(SegmentLayout.SegmentFileName(secondBase), reopened.Recovery.TruncationReason);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(reopened);
        Assert.Equal(JournalTestDirectory.Events(0, 8), entries.SelectMany(e => e!).ToArray());
        reopened.AppendEvents(8, JournalTestDirectory.Events(8, 1), 2);
        reopened.Flush();
        Assert.Equal(9, reopened.FlushedEnd);
    }

    [Fact]
    public void Open_TearCutsTheEndMarkerOfATransactionFromTheSegmentBefore_TheTransactionIsDecidedAndAborted()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        // Segment 0: plain 0..11, transaction 9 at 12..15; its seal finishes (the checkpoint moves to segment 16).
        for (long offset = 0; offset < 12; offset += 4)
        {
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
        }

        journal.AppendTransactionEvents(12, JournalTestDirectory.Events(12, 4), 1, transaction: 9);
        journal.AppendEvents(16, JournalTestDirectory.Events(16, 4), 1);
        journal.Flush();
        Assert.Equal(2, journal.SegmentCount);
        WaitForSeal(journal);

        // Segment 16: plain 16..19, transaction 9's end marker, plain until the next roll, whose seal never finishes.
        journal.BeforeSealForTest = _ => throw new IOException("the machine crashed");
        journal.AppendTransactionEnd(9, 2);
        long end = 20;
        while (journal.SegmentCount < 3)
        {
            journal.Flush();
            journal.AppendEvents(end, JournalTestDirectory.Events(end, 4), 2);
            end += 4;
        }

        journal.AbandonForTest();
        // The machine crash tore segment 16 at the end marker (past the checkpoint, at its header).
        long markerAt = FileHeaderLayout.Size + FrameOf(4);
        JournalTestDirectory.FlipByte(dir.SegmentPath(16), markerAt + 10);

        using PartitionJournal reopened = dir.Open(segmentBytes: 512, sealInBackground: true);

        // Segment 16 is the last now and cut at the marker: transaction 9, whose batch is in segment 0, is open again,
        // found by the whole scan of segment 0 (the segment before the last after the tear) and aborted.
        Assert.Equal(2, reopened.SegmentCount);
        Assert.Equal(markerAt, reopened.Recovery.TruncatedAt);
        Assert.Equal(20, reopened.EndOffset);
        Assert.Equal([9L], reopened.Recovery.AbortedTransactions);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(reopened);
        for (int offset = 0; offset < 20; offset++)
        {
            Assert.Equal(offset is >= 12 and < 16 ? null : JournalTestDirectory.Events(offset, 1), entries[offset]);
        }
    }

    [Fact]
    public void Open_AfterAMachineCrashWhileTheSealWasPending_ASegmentEndingAtAFrameShortOfTheNextIsCutThere()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        journal.BeforeSealForTest = _ => throw new IOException("the machine crashed");
        AppendUntilRolled(journal, 2);
        journal.AbandonForTest();
        long secondBase = SecondSegmentBase(dir);
        long secondLength = new FileInfo(dir.SegmentPath(secondBase)).Length;
        // The sealed segment lost its last two frames whole (the file's size reached the disk late): it ends at offset 8.
        long cut = FileHeaderLayout.Size + (2 * FrameOf(4));
        using (var file = new FileStream(dir.SegmentPath(0), FileMode.Open))
        {
            file.SetLength(cut);
        }

        using PartitionJournal reopened = dir.Open(segmentBytes: 512, sealInBackground: true);

        Assert.Equal(8, reopened.EndOffset);
        Assert.Equal(1, reopened.SegmentCount);
        Assert.False(File.Exists(dir.SegmentPath(secondBase)));
        Assert.Equal(dir.SegmentPath(0), reopened.Recovery.TruncatedFile);
        Assert.Equal(cut, reopened.Recovery.TruncatedAt);
        Assert.Equal(secondLength, reopened.Recovery.TruncatedBytes);
        Assert.Contains("short of the next segment's base", reopened.Recovery.TruncationReason);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(reopened);
        Assert.Equal(JournalTestDirectory.Events(0, 8), entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void Open_DamageBeforeTheLastSegmentOfAJournalThatSealedOnRoll_IsCorruptionEvenWithoutACheckpoint()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512);
        AppendUntilSegments(journal, 2);
        journal.AbandonForTest();
        // The roll forced the segment before creating the next: damage in it is damage, whatever the checkpoint says.
        File.Delete(Path.Combine(dir.Partition, SegmentLayout.CheckpointFileName));
        long damagedAt = FileHeaderLayout.Size + (2 * FrameOf(4));
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), damagedAt + FrameOf(0) + 1);

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open(segmentBytes: 512));

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Equal(damagedAt, ex.Position);
    }

    [Fact]
    public void Open_DamageInASegmentWhoseSealFinished_IsCorruption()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 512, sealInBackground: true);
        AppendUntilSegments(journal, 2);
        WaitForSeal(journal);
        journal.AbandonForTest();
        long damagedAt = FileHeaderLayout.Size + (2 * FrameOf(4));
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), damagedAt + FrameOf(0) + 1);

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open(segmentBytes: 512, sealInBackground: true));

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Equal(damagedAt, ex.Position);
        Assert.Equal("checksum mismatch", ex.Reason);
    }

    /// <summary>The frame size of a batch of <paramref name="events"/> events.</summary>
    private static int FrameOf(int events) => FrameLayout.HeaderSize + SegmentLayout.BatchHeaderSize + (events * JournalTestDirectory.EventSize);

    /// <summary>Appends batches of 4 events from offset 0, flushing each, until the journal has <paramref name="segments"/> segments; returns the end offset.</summary>
    private static long AppendUntilSegments(PartitionJournal journal, int segments)
    {
        long offset = journal.EndOffset;
        while (journal.SegmentCount < segments)
        {
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
            offset += 4;
            journal.Flush();
        }

        return offset;
    }

    /// <summary>
    /// Like <see cref="AppendUntilSegments"/>, but flushes each batch before the next append instead of after it: the
    /// batch that rolled the journal stays unflushed, so a seal that fails (the machine crash simulated by the caller)
    /// is never reported by a flush racing with it.
    /// </summary>
    private static long AppendUntilRolled(PartitionJournal journal, int segments)
    {
        long offset = journal.EndOffset;
        while (journal.SegmentCount < segments)
        {
            journal.Flush();
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
            offset += 4;
        }

        return offset;
    }

    /// <summary>Flushes until the journal took the finished background seal in (a flush completes it).</summary>
    private static void WaitForSeal(PartitionJournal journal)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (journal.SealPendingForTest && clock.Elapsed < Patience)
        {
            Thread.Yield();
            journal.Flush();
        }

        Assert.False(journal.SealPendingForTest, "the background seal did not finish");
    }

    private static long SecondSegmentBase(JournalTestDirectory dir) =>
        Directory.EnumerateFiles(dir.Partition, "*" + SegmentLayout.SegmentExtension)
            .Select(f => SegmentLayout.TryParseSegmentFileName(Path.GetFileName(f), out long b) ? b : -1)
            .Where(b => b > 0)
            .Min();
}
