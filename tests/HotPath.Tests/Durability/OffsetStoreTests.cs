using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class OffsetStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Directory => _temp.Combine("offsets");

    private string LogPath => Path.Combine(Directory, OffsetStore.FileName);

    [Fact]
    public void Open_NewDirectory_CreatesAnEmptyLogWithNothingRecovered()
    {
        using OffsetStore store = OffsetStore.Open(Directory);

        Assert.Equal(64, store.FileBytes);
        Assert.Empty(store.Snapshot());
        Assert.Equal(0, store.Recovery.RecordsRead);
        Assert.False(store.Recovery.TruncatedTornTail);
        Assert.Equal($"offsets '{LogPath}': 0 records read, 0 live entries, no torn tail", store.Recovery.ToString());
    }

    [Fact]
    public void Append_ThenReopen_RoundTrips()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("billing", 0, 10), new("billing", 1, 20)]);
            store.Append([new("audit-ü", 2, 5)]);
            store.Sync();
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);

        Assert.Equal(2, reopened.Recovery.RecordsRead);
        Assert.Equal(3, reopened.Recovery.LiveEntries);
        Assert.True(reopened.TryGetCommitted("billing", 1, out long offset));
        Assert.Equal(20, offset);
        Assert.True(reopened.TryGetCommitted("audit-ü", 2, out offset));
        Assert.Equal(5, offset);
        Assert.False(reopened.TryGetCommitted("billing", 2, out _));
        Assert.Equal(3, reopened.Snapshot().Count);
    }

    [Fact]
    public void Append_LowerOffsetForSameKey_LastWriteWins()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("g", 0, 100)]);
            store.Append([new("g", 0, 40)]);
            store.Append([new("g", 1, 7), new("g", 1, 3)]);
            Assert.True(store.TryGetCommitted("g", 0, out long live));
            Assert.Equal(40, live);
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);
        Assert.Equal(40, reopened.Snapshot()[("g", 0)]);
        Assert.Equal(3, reopened.Snapshot()[("g", 1)]);
    }

    [Fact]
    public void Append_PastCompactionSize_CompactsAndKeepsTheMapAcrossReopen()
    {
        var model = new Dictionary<(string, int), long>();
        using (OffsetStore store = OffsetStore.Open(Directory, compactBytes: 1024))
        {
            for (int i = 0; i < 500; i++)
            {
                var entry = new OffsetEntry($"group-{i % 4}", i % 3, i);
                store.Append([entry]);
                model[(entry.GroupId, entry.Partition)] = entry.Offset;
            }

            Assert.True(store.Compactions > 0, $"no compaction after 500 appends, file {store.FileBytes} bytes");
            Assert.True(store.FileBytes <= 1024 + 64, $"file {store.FileBytes} bytes after compactions");
            Assert.Equal(model, store.Snapshot());
        }

        Assert.False(File.Exists(Path.Combine(Directory, OffsetStore.CompactFileName)));
        using OffsetStore reopened = OffsetStore.Open(Directory, compactBytes: 1024);
        Assert.Equal(model, reopened.Snapshot());
        Assert.False(reopened.Recovery.TruncatedTornTail);
    }

    [Fact]
    public void Append_LiveMapLargerThanCompactionSize_CompactsOnlyAtFourTimesTheLiveSize()
    {
        using OffsetStore store = OffsetStore.Open(Directory, compactBytes: 1);
        var entries = Enumerable.Range(0, 100).Select(p => new OffsetEntry("g", p, p)).ToArray();

        store.Append(entries);
        long afterFirst = store.FileBytes;
        store.Append(entries);
        store.Append(entries);

        Assert.Equal(0, store.Compactions);
        store.Append(entries);
        Assert.Equal(1, store.Compactions);
        Assert.Equal(afterFirst, store.FileBytes);
    }

    [Fact]
    public void Append_FromSeveralThreads_KeepsEveryEntry()
    {
        const int Threads = 4;
        const int PerThread = 300;
        using (OffsetStore store = OffsetStore.Open(Directory, compactBytes: 2048))
        {
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    store.Append([new($"group-{t}", i % 5, i), new($"group-{t}", 5, i)]);
                }
            });

            Assert.True(store.Compactions > 0);
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);
        var expected = new Dictionary<(string, int), long>();
        for (int t = 0; t < Threads; t++)
        {
            for (int p = 0; p < 5; p++)
            {
                expected[($"group-{t}", p)] = PerThread - 5 + p;
            }

            expected[($"group-{t}", 5)] = PerThread - 1;
        }

        Assert.Equal(expected, reopened.Snapshot());
    }

    [Fact]
    public void Append_GroupIdEmptyOrTooLong_ThrowsNamingTheEntryAndWritesNothing()
    {
        using OffsetStore store = OffsetStore.Open(Directory);

        var empty = Assert.Throws<ArgumentOutOfRangeException>(() => store.Append([new("ok", 0, 1), new("", 0, 1)]));
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => store.Append([new(new string('é', 128), 0, 1)]));

        Assert.Equal("entries[1].GroupId", empty.ParamName);
        Assert.StartsWith("entries[1].GroupId must be 1 to 255 UTF-8 bytes (group ''), was 0 bytes", empty.Message);
        Assert.Equal("entries[0].GroupId", tooLong.ParamName);
        Assert.Contains("was 256 bytes", tooLong.Message);
        Assert.Empty(store.Snapshot());
        Assert.Equal(64, store.FileBytes);
        store.Append([new(new string('é', 127) + "x", 0, 1)]);
        Assert.Single(store.Snapshot());
    }

    [Fact]
    public void Append_NegativeOffsetOrPartition_ThrowsNamingTheEntry()
    {
        using OffsetStore store = OffsetStore.Open(Directory);

        var offset = Assert.Throws<ArgumentOutOfRangeException>(() => store.Append([new("g", 2, -2)]));
        var partition = Assert.Throws<ArgumentOutOfRangeException>(() => store.Append([new("g", 0, 0), new("g", -3, 0)]));

        Assert.StartsWith("entries[0].Offset must be at least 0, or -1 to delete the stored offset (group 'g', partition 2), was -2", offset.Message);
        Assert.StartsWith("entries[1].Partition must be at least 0 (group 'g'), was -3", partition.Message);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public void Append_Tombstone_DeletesTheStoredOffsetAcrossReopenAndCompaction()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("gone", 0, 5), new("gone", 1, 7), new("kept", 0, 3)]);
            store.Append([new("gone", 0, OffsetEntry.Deleted), new("gone", 1, OffsetEntry.Deleted), new("never", 4, OffsetEntry.Deleted)]);
            Assert.Equal([(("kept", 0), 3L)], store.Snapshot().Select(p => ((p.Key.GroupId, p.Key.Partition), p.Value)));
        }

        using (OffsetStore reopened = OffsetStore.Open(Directory, compactBytes: 1))
        {
            Assert.False(reopened.TryGetCommitted("gone", 0, out _));
            Assert.True(reopened.TryGetCommitted("kept", 0, out long kept) && kept == 3);
            // Compacts (the file is far past 1 byte and 4x its live entry): the tombstones are gone with the entries.
            reopened.Append([new("kept", 0, 4)]);
            Assert.Equal(1, reopened.Compactions);
        }

        using OffsetStore compacted = OffsetStore.Open(Directory);
        Assert.Equal([(("kept", 0), 4L)], compacted.Snapshot().Select(p => ((p.Key.GroupId, p.Key.Partition), p.Value)));
    }

    [Fact]
    public void Append_NullOrLoneSurrogateGroupId_ThrowsNamingTheEntry()
    {
        using OffsetStore store = OffsetStore.Open(Directory);

        var nullGroup = Assert.Throws<ArgumentNullException>(() => store.Append([new(null!, 0, 0)]));
        var surrogate = Assert.Throws<ArgumentException>(() => store.Append([new("a\ud800", 0, 0)]));

        Assert.Equal("entries[0].GroupId", nullGroup.ParamName);
        Assert.Equal("entries[0].GroupId", surrogate.ParamName);
        Assert.Contains("lone surrogate", surrogate.Message);
    }

    [Fact]
    public void Append_NoEntries_WritesNothing()
    {
        using OffsetStore store = OffsetStore.Open(Directory);

        store.Append([]);

        Assert.Equal(64, store.FileBytes);
    }

    [Fact]
    public void Append_AfterDispose_ThrowsObjectDisposed_AndDisposeIsIdempotent()
    {
        OffsetStore store = OffsetStore.Open(Directory);
        store.Dispose();
        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.Append([new("g", 0, 0)]));
    }

    [Fact]
    public void Open_DirectoryNotWritable_ThrowsNamingTheLogWithOsError()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Read-only directories are a Unix file mode.
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllText(Path.Combine(Directory, "probe"), "x");
            return; // Running as root: the mode does not stop writes.
        }
        catch (UnauthorizedAccessException)
        {
        }

        var e = Assert.Throws<JournalException>(() => OffsetStore.Open(Directory));

        Assert.Equal(LogPath, e.Path);
        Assert.StartsWith($"cannot write '{LogPath}' (through '{LogPath}.compact'): ", e.Message);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
    }
}
