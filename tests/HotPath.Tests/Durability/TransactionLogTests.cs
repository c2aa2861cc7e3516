using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>The transaction log of a durability directory: records, sessions, resolution, compaction, recovery, sharing.</summary>
public sealed class TransactionLogTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string LogPath => _directory.Combine(TransactionLog.DirectoryName, TransactionLog.FileName);

    private static TransactionRecord Record(long transaction, params TopicPart[] parts) => new(transaction, parts, []);

    [Fact]
    public void Commit_ThenReopen_KeepsThePendingRecordsAndStartsANewSessionWhoseNumbersDiffer()
    {
        long first;
        long second;
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        try
        {
            Assert.False(log.IsCommitted(1));
            first = log.NextTransaction();
            second = log.NextTransaction();
            Assert.Equal(first + 1, second);
            log.Commit(Record(first, new("a", 0), new("a", 1)), sync: true);
            Assert.True(log.IsCommitted(first));
            Assert.False(log.IsCommitted(second));
        }
        finally
        {
            log.Release();
        }

        TransactionLog reopened = TransactionLog.Acquire(_directory.Path);
        try
        {
            Assert.Equal((int)(first >> 32) + 1, reopened.Session);
            Assert.Equal(1, reopened.CarriedRecords);
            Assert.True(reopened.IsCommitted(first));
            Assert.False(reopened.IsCommitted(second));
            Assert.NotEqual(second, reopened.NextTransaction());
        }
        finally
        {
            reopened.Release();
        }
    }

    [Fact]
    public void Resolve_OfEveryPart_DropsTheRecordAndTheNextOpenDoesNotCarryIt()
    {
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        long kept = log.NextTransaction();
        long dropped = log.NextTransaction();
        try
        {
            log.Commit(Record(kept, new("a", 0), new("b", 0)), sync: false);
            log.Commit(Record(dropped, new("a", 1), new("b", 1)), sync: false);
            log.Resolve(dropped, new("a", 1));
            Assert.True(log.IsCommitted(dropped));
            log.Resolve(dropped, new("b", 1));
            Assert.False(log.IsCommitted(dropped));
            log.ResolveAll(new("a", 0));
            Assert.True(log.IsCommitted(kept));
            Assert.Equal(1, log.PendingCount);
        }
        finally
        {
            log.Release();
        }

        TransactionLog reopened = TransactionLog.Acquire(_directory.Path);
        try
        {
            // The records are still in the file (no compaction yet), so the open carries both with all their parts: the
            // resolutions of the last session are not persisted, which is safe, because each part's recovery finds its end
            // markers (or rolls forward) and resolves its part again.
            Assert.Equal(2, reopened.CarriedRecords);
            Assert.True(reopened.IsCommitted(kept));
            reopened.ResolveAll(new("b", 0));
            Assert.True(reopened.IsCommitted(kept));
            reopened.ResolveAll(new("a", 0));
            Assert.False(reopened.IsCommitted(kept));
            Assert.True(reopened.IsCommitted(dropped));
        }
        finally
        {
            reopened.Release();
        }
    }

    [Fact]
    public void Offsets_OfCommitRecords_AreKeptAsTheLatestPerGroupAndPartitionAcrossReopens()
    {
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        try
        {
            log.Commit(new TransactionRecord(log.NextTransaction(), [new("out", 0)], [new("in", "g", 0, 10), new("in", "g", 1, 4)]), sync: false);
            log.Commit(new TransactionRecord(log.NextTransaction(), [new("out", 1)], [new("in", "g", 0, 25), new("other", "h", 0, 3)]), sync: false);
        }
        finally
        {
            log.Release();
        }

        TransactionLog reopened = TransactionLog.Acquire(_directory.Path);
        try
        {
            Assert.Equal(
                [new TransactionOffset("in", "g", 0, 25), new TransactionOffset("in", "g", 1, 4)],
                reopened.OffsetsOf("in").OrderBy(o => o.Partition));
            Assert.Equal([new TransactionOffset("other", "h", 0, 3)], reopened.OffsetsOf("other"));
        }
        finally
        {
            reopened.Release();
        }
    }

    [Fact]
    public void Compaction_PastItsSize_KeepsOnlyPendingRecordsAndTheOffsets()
    {
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        long pending = log.NextTransaction();
        long last;
        try
        {
            log.Commit(new TransactionRecord(pending, [new("a", 0), new("a", 1)], [new("in", "g", 0, 1)]), sync: false);
            string longName = new('t', 200);
            long peak = new FileInfo(LogPath).Length;
            long length;
            // Commit resolved records until the file shrinks: the compaction ran.
            while (true)
            {
                last = log.NextTransaction();
                log.Commit(Record(last, new(longName, 0), new(longName, 1)), sync: false);
                log.Resolve(last, new(longName, 0));
                log.Resolve(last, new(longName, 1));
                length = new FileInfo(LogPath).Length;
                if (length < peak)
                {
                    break;
                }

                peak = length;
                Assert.True(peak <= TransactionLog.CompactBytes + 4096, $"the log grew to {peak} bytes without a compaction");
            }

            // The compaction ran on the append that took the records past the size (the last length seen is one record short).
            Assert.True(peak + 1024 > TransactionLog.CompactBytes, $"compacted at {peak} bytes, far below {TransactionLog.CompactBytes}");
            Assert.True(length < 4096, $"the log is {length} bytes after compaction");
            Assert.True(log.IsCommitted(pending));
        }
        finally
        {
            log.Release();
        }

        TransactionLog reopened = TransactionLog.Acquire(_directory.Path);
        try
        {
            // The pending record, and the last one: the compaction ran inside its commit, before its parts resolved.
            Assert.Equal(2, reopened.CarriedRecords);
            Assert.True(reopened.IsCommitted(pending));
            Assert.True(reopened.IsCommitted(last));
            Assert.Equal([new TransactionOffset("in", "g", 0, 1)], reopened.OffsetsOf("in"));
        }
        finally
        {
            reopened.Release();
        }
    }

    [Fact]
    public void TornLastRecord_IsDroppedAndItsTransactionIsNotCommitted()
    {
        long whole;
        long torn;
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        try
        {
            whole = log.NextTransaction();
            torn = log.NextTransaction();
            log.Commit(Record(whole, new("a", 0), new("a", 1)), sync: true);
            log.Commit(Record(torn, new("a", 0), new("a", 1)), sync: true);
        }
        finally
        {
            log.Release();
        }

        using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        TransactionLog reopened = TransactionLog.Acquire(_directory.Path);
        try
        {
            Assert.True(reopened.IsCommitted(whole));
            Assert.False(reopened.IsCommitted(torn));
        }
        finally
        {
            reopened.Release();
        }
    }

    [Fact]
    public void DamageBeforeAValidRecord_IsCorruptionNamingTheFileAndPosition()
    {
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        try
        {
            log.Commit(Record(log.NextTransaction(), new("a", 0), new("a", 1)), sync: true);
            log.Commit(Record(log.NextTransaction(), new("a", 0), new("a", 1)), sync: true);
        }
        finally
        {
            log.Release();
        }

        byte[] bytes = File.ReadAllBytes(LogPath);
        // The first record after the header and the session record: flip a byte of its body.
        int first = FileHeaderLayout.Size + FrameLayout.FrameSize(5);
        bytes[first + FrameLayout.HeaderSize + 3] ^= 0xFF;
        File.WriteAllBytes(LogPath, bytes);

        var e = Assert.Throws<JournalCorruptionException>(() => TransactionLog.Acquire(_directory.Path));
        Assert.Equal(LogPath, e.Path);
        Assert.Contains($"at byte {first}", e.Message);
        Assert.Contains("a valid record follows", e.Message);
    }

    [Fact]
    public void WholeLastRecordThatDoesNotDecode_IsCorruptionNotATornTail()
    {
        long committed;
        TransactionLog log = TransactionLog.Acquire(_directory.Path);
        try
        {
            committed = log.NextTransaction();
            log.Commit(Record(committed, new("a", 0), new("a", 1)), sync: true);
        }
        finally
        {
            log.Release();
        }

        // A frame whose checksum matches (written whole) but whose commit record is cut short inside: not a crash's torn
        // write, which a checksum catches, but a writer of another format or a bug. Dropping it would drop a commit.
        long at = new FileInfo(LogPath).Length;
        byte[] frame = new byte[FrameLayout.FrameSize(7)];
        frame[FrameLayout.HeaderSize] = TransactionRecordLayout.CommitKind;
        frame.AsSpan(FrameLayout.HeaderSize + 1).Fill(0xFF);
        FrameLayout.Seal(frame);
        using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(frame);
        }

        var e = Assert.Throws<JournalCorruptionException>(() => TransactionLog.Acquire(_directory.Path));
        Assert.Equal(LogPath, e.Path);
        Assert.Equal(at, e.Position);
        Assert.Contains("whole record", e.Message);
    }

    [Fact]
    public void Acquire_Twice_SharesOneInstanceUntilTheLastRelease()
    {
        TransactionLog a = TransactionLog.Acquire(_directory.Path);
        TransactionLog b = TransactionLog.Acquire(_directory.Path);
        Assert.Same(a, b);
        long transaction = a.NextTransaction();
        a.Release();
        // Still open through b.
        b.Commit(Record(transaction, new("a", 0), new("a", 1)), sync: false);
        b.Release();
        TransactionLog c = TransactionLog.Acquire(_directory.Path);
        try
        {
            Assert.NotSame(a, c);
            Assert.True(c.IsCommitted(transaction));
        }
        finally
        {
            c.Release();
        }
    }

    [Fact]
    public void AFileOfAnotherKind_IsRefusedNamingIt()
    {
        Directory.CreateDirectory(_directory.Combine(TransactionLog.DirectoryName));
        byte[] header = new byte[FileHeaderLayout.Size];
        FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Offsets, 0, 0);
        File.WriteAllBytes(LogPath, header);
        var e = Assert.Throws<JournalException>(() => TransactionLog.Acquire(_directory.Path));
        Assert.Contains(LogPath, e.Message);
        Assert.Contains("Offsets file where a Transactions file was expected", e.Message);
    }
}
