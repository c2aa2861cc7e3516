using System.Diagnostics;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class TopicDirectoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    [Fact]
    public void Open_NewTopic_CreatesRootTopicAndMetaAndIsNew()
    {
        using TopicDirectory topic = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");

        Assert.True(topic.IsNew);
        Assert.Equal(Path.Combine(Root, "orders"), topic.Path);
        Assert.True(File.Exists(Path.Combine(topic.Path, TopicDirectory.MetaFileName)));
        Assert.True(File.Exists(Path.Combine(topic.Path, TopicDirectory.LockFileName)));
        Assert.Equal(Path.Combine(Root, "orders", "2"), topic.PartitionDirectory(2));
        Assert.Equal(Path.Combine(Root, "orders", "offsets"), topic.OffsetsDirectory);
    }

    [Fact]
    public void Open_Reopen_IsNotNewAndKeepsTheLockFile()
    {
        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();

        using TopicDirectory topic = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");

        Assert.False(topic.IsNew);
        Assert.Equal(Environment.ProcessId.ToString(), File.ReadAllText(Path.Combine(topic.Path, TopicDirectory.OwnerFileName)).Trim());
        topic.Dispose();
        Assert.False(File.Exists(Path.Combine(topic.Path, TopicDirectory.OwnerFileName)));
        Assert.True(File.Exists(Path.Combine(topic.Path, TopicDirectory.LockFileName)));
    }

    [Fact]
    public void Open_ReopenWithOtherPartitionCount_ThrowsNamingStoredAndNewValues()
    {
        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 4, 16, "Shop.Order"));

        Assert.StartsWith("topic 'orders' was created with 3 partitions; reopened with 4: ", e.Message);
        Assert.Equal(Path.Combine(Root, "orders", TopicDirectory.MetaFileName), e.Path);
        Assert.Contains(e.Path, e.Message);
    }

    [Fact]
    public void Open_ReopenWithOtherEventSize_ThrowsNamingStoredAndNewValues()
    {
        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 3, 24, "Shop.Order"));

        Assert.StartsWith("topic 'orders' was created with an event size of 16 bytes; reopened with 24: ", e.Message);
        Assert.Contains(TopicDirectory.MetaFileName, e.Message);
    }

    [Fact]
    public void Open_ReopenWithOtherEventType_ThrowsNamingStoredAndNewValues()
    {
        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Refund"));

        Assert.StartsWith("topic 'orders' was created with event type 'Shop.Order'; reopened with 'Shop.Refund': ", e.Message);
    }

    [Fact]
    public void Open_DamagedMeta_ThrowsCorruptionNamingTheFile()
    {
        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();
        string meta = Path.Combine(Root, "orders", TopicDirectory.MetaFileName);
        byte[] bytes = File.ReadAllBytes(meta);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(meta, bytes);

        var e = Assert.Throws<JournalCorruptionException>(() => TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order"));

        Assert.Equal(meta, e.Path);
        Assert.Equal(64, e.Position);
    }

    [Fact]
    public void Open_WhileHeld_ThrowsNamingLockAndProcess_AndSucceedsAfterDispose()
    {
        TopicDirectory first = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order"));

        Assert.Contains($"topic 'orders' at '{first.Path}' is held by another HotPath instance (process {Environment.ProcessId};", e.Message);
        Assert.Equal(Path.Combine(first.Path, TopicDirectory.LockFileName), e.Path);
        Assert.IsType<IOException>(e.InnerException);

        first.Dispose();
        first.Dispose();
        using TopicDirectory second = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");
        Assert.False(second.IsNew);
    }

    [Fact]
    public void Open_Held_LockIsVisibleToAnotherProcessUntilDispose()
    {
        TopicDirectory topic = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");
        string lockPath = Path.Combine(topic.Path, TopicDirectory.LockFileName);
        string? flock = OperatingSystem.IsWindows() ? null : FindOnPath("flock");

        if (flock is null)
        {
            // No util-linux: a second open file description stands in for another process (flock is per description).
            Assert.Throws<IOException>(() => new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose());
            topic.Dispose();
            new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose();
            return;
        }

        Assert.Equal(1, RunFlock(flock, lockPath));
        topic.Dispose();
        Assert.Equal(0, RunFlock(flock, lockPath));
    }

    [Fact]
    public void Open_LockHeldByAnotherProcess_ThrowsNamingAnUnknownHolder()
    {
        string? flock = OperatingSystem.IsWindows() ? null : FindOnPath("flock");
        if (flock is null)
        {
            return; // Needs util-linux flock to hold the lock from another process.
        }

        TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order").Dispose();
        string lockPath = Path.Combine(Root, "orders", TopicDirectory.LockFileName);
        // One process holds the lock (sh opens it, flock locks that descriptor, exec keeps the process): killing it frees the lock.
        using Process holder = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec 9>>\"$0\"; flock -x 9; exec sleep 60", lockPath]) { UseShellExecute = false })!;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => RunFlock(flock, lockPath) == 1, TimeSpan.FromSeconds(30)), "the child process did not take the lock");

            var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order"));

            Assert.Contains("is held by another HotPath instance (process unknown;", e.Message);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }

        Assert.True(SpinWait.SpinUntil(() => RunFlock(flock, lockPath) == 0, TimeSpan.FromSeconds(30)), "the killed holder's lock was not released");

        using TopicDirectory reopened = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");
        Assert.False(reopened.IsNew);
    }

    [Fact]
    public void Open_MissingParent_ThrowsNamingRootWithOsError()
    {
        string root = _temp.Combine("missing", "root");

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(root, "orders", 3, 16, "Shop.Order"));

        Assert.Equal(root, e.Path);
        Assert.Contains($"'{root}'", e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.IsType<DirectoryNotFoundException>(e.InnerException);
    }

    [Fact]
    public void Open_RootNotWritable_ThrowsNamingTopicDirectoryWithOsError()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Read-only directories are a Unix file mode.
        }

        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        if (OsLetsUsWriteInto(Root))
        {
            // Running as root (or with CAP_DAC_OVERRIDE): the mode does not stop writes, so Open succeeds.
            using TopicDirectory topic = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");
            Assert.True(topic.IsNew);
            return;
        }

        var e = Assert.Throws<JournalException>(() => TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order"));

        string topicPath = Path.Combine(Root, "orders");
        Assert.Equal(topicPath, e.Path);
        Assert.StartsWith($"cannot create the directory of topic 'orders' '{topicPath}': ", e.Message);
        Assert.EndsWith(" is denied; make its parent writable by this process", e.Message);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
    }

    [Fact]
    public void PartitionDirectory_OutOfRange_ThrowsNamingTheRange()
    {
        using TopicDirectory topic = TopicDirectory.Open(Root, "orders", 3, 16, "Shop.Order");

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => topic.PartitionDirectory(3));

        Assert.Equal("partition", e.ParamName);
        Assert.StartsWith("partition must be from 0 to 2 (the topic's partitions), was 3", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void Open_BadTopicName_ThrowsNamingTheParameter(string topicName)
    {
        var e = Assert.Throws<ArgumentException>(() => TopicDirectory.Open(Root, topicName, 3, 16, "Shop.Order"));

        Assert.Equal("topicName", e.ParamName);
    }

    [Fact]
    public void Open_EmptyEventTypeName_ThrowsNamingTheParameter() => AssertBadEventTypeName("");

    [Fact]
    public void Open_EventTypeNameWithLoneSurrogate_ThrowsNamingTheParameter() => AssertBadEventTypeName("Shop.\ud800Order");

    private void AssertBadEventTypeName(string eventTypeName)
    {
        var e = Assert.Throws<ArgumentException>(() => TopicDirectory.Open(Root, "orders", 3, 16, eventTypeName));

        Assert.Equal("eventTypeName", e.ParamName);
        Assert.StartsWith("eventTypeName must be valid text of 1 to 65535 UTF-8 bytes, was ", e.Message);
        Assert.False(Directory.Exists(Root));
    }

    [Theory]
    [InlineData(0, 16, "partitionCount must be at least 1, was 0")]
    [InlineData(3, 0, "eventSize must be at least 1, was 0")]
    public void Open_CountOrSizeBelowOne_ThrowsNamingTheParameter(int partitionCount, int eventSize, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TopicDirectory.Open(Root, "orders", partitionCount, eventSize, "Shop.Order"));

        Assert.StartsWith(message, e.Message);
    }

    private static bool OsLetsUsWriteInto(string directory)
    {
        string probe = Path.Combine(directory, "probe");
        try
        {
            File.WriteAllText(probe, "x");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    private static int RunFlock(string flock, string lockPath)
    {
        using Process process = Process.Start(new ProcessStartInfo(flock, ["-n", lockPath, "true"]) { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "flock did not exit within 30 s");
        return process.ExitCode;
    }
}
