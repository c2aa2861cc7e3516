using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>What <see cref="OffsetStore.Open"/> does with a log a crash, a disk or a person left behind.</summary>
public sealed class OffsetStoreRecoveryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Directory => _temp.Combine("offsets");

    private string LogPath => Path.Combine(Directory, OffsetStore.FileName);

    [Fact]
    public void Open_LastMultiEntryFrameChopped_DropsAllItsEntriesKeepsEarlierAndReports()
    {
        long intact;
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 1), new("a", 1, 2)]);
            intact = store.FileBytes;
            store.Append([new("a", 0, 50), new("b", 0, 60), new("c", 3, 70)]);
        }

        long full = new FileInfo(LogPath).Length;
        long chopAt = intact + ((full - intact) / 2);
        using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(chopAt);
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);

        Assert.Equal(new Dictionary<(string, int), long> { [("a", 0)] = 1, [("a", 1)] = 2 }, reopened.Snapshot());
        Assert.True(reopened.Recovery.TruncatedTornTail);
        Assert.Equal(intact, reopened.Recovery.TornPosition);
        Assert.Equal(chopAt - intact, reopened.Recovery.TornBytes);
        Assert.Equal(intact, new FileInfo(LogPath).Length);
        Assert.Equal(
            $"offsets '{LogPath}': 1 records read, 2 live entries, truncated a torn tail of {chopAt - intact} bytes at byte {intact} (the frame is cut short (only {chopAt - intact} bytes remain))",
            reopened.Recovery.ToString());
    }

    [Fact]
    public void Open_TornTailThenAppend_KeepsNewRecordsReadable()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 1)]);
            store.Append([new("a", 0, 2)]);
        }

        using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 9)]);
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);
        Assert.False(reopened.Recovery.TruncatedTornTail);
        Assert.Equal(9, reopened.Snapshot()[("a", 0)]);
    }

    [Fact]
    public void Open_ZeroFilledTail_IsATornTail()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 1)]);
        }

        long before = new FileInfo(LogPath).Length;
        using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(new byte[100]);
        }

        using OffsetStore reopened = OffsetStore.Open(Directory);
        Assert.Equal(before, reopened.Recovery.TornPosition);
        Assert.Equal("the frame's length is 0 or impossible", reopened.Recovery.TornReason);
        Assert.Equal(1, reopened.Snapshot()[("a", 0)]);
    }

    [Fact]
    public void Open_EarlyFrameDamagedBeforeValidOnes_ThrowsCorruptionWithPathPositionReason()
    {
        long second;
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 1)]);
            second = store.FileBytes;
            store.Append([new("b", 0, 2)]);
            store.Append([new("c", 0, 3)]);
        }

        byte[] bytes = File.ReadAllBytes(LogPath);
        bytes[second + 20] ^= 0x01;
        File.WriteAllBytes(LogPath, bytes);

        var e = Assert.Throws<JournalCorruptionException>(() => OffsetStore.Open(Directory));

        Assert.Equal(LogPath, e.Path);
        Assert.Equal(second, e.Position);
        Assert.StartsWith("the frame's checksum does not match its body, yet a valid record follows at byte ", e.Reason);
        Assert.Contains($"'{LogPath}' is corrupt at byte {second}", e.Message);
        Assert.Equal(bytes.Length, new FileInfo(LogPath).Length);
    }

    [Fact]
    public void Open_LeftoverCompactFile_IsIgnoredAndDeleted()
    {
        using (OffsetStore store = OffsetStore.Open(Directory))
        {
            store.Append([new("a", 0, 1)]);
        }

        string compact = Path.Combine(Directory, OffsetStore.CompactFileName);
        File.WriteAllBytes(compact, [1, 2, 3, 4]);

        using OffsetStore reopened = OffsetStore.Open(Directory);

        Assert.False(File.Exists(compact));
        Assert.True(reopened.Recovery.StaleCompactionDeleted);
        Assert.EndsWith("; deleted an unfinished compaction file", reopened.Recovery.ToString());
        Assert.Equal(1, reopened.Snapshot()[("a", 0)]);
    }

    [Fact]
    public void Open_OtherKindOfFile_ThrowsNamingTheFile()
    {
        System.IO.Directory.CreateDirectory(Directory);
        byte[] header = new byte[64];
        FileHeaderLayout.Write(header, FileHeaderLayout.FileKind.Meta, 0, 0);
        File.WriteAllBytes(LogPath, header);

        var e = Assert.Throws<JournalException>(() => OffsetStore.Open(Directory));

        Assert.Equal(LogPath, e.Path);
        Assert.Contains("is a Meta file where a Offsets file was expected", e.Message);
    }
}
