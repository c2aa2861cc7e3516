using HotPath.CrashChild;
using HotPath.Durability;
using Xunit.Abstractions;

namespace HotPath.Tests.Durability;

/// <summary>
/// A journal write refused by the disk: the crash child runs under a file size limit (<c>ulimit -f</c>, SIGXFSZ ignored,
/// so a write past it fails with EFBIG instead of killing the process). The child must see a clear failure, a
/// <see cref="JournalException"/> naming the file, from <c>WaitAcknowledged</c> and <c>JournalFault</c>; a normal reopen
/// then recovers every event acknowledged before it.
/// </summary>
public sealed class DiskFullCrashTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The limit: segments of 1 MiB never roll before it, so the active segment's append crosses it.</summary>
    private const int FileSizeLimitKiB = 128;
    private const long SegmentBytes = 1 << 20;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(SyncPolicy.None)]
    [InlineData(SyncPolicy.Interval)]
    public void FileSizeLimit_JournalWriteRefused_WaitAcknowledgedAndJournalFaultNameTheFileAndReopenKeepsEveryAcknowledgedEvent(SyncPolicy sync)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        CrashChildReport report = RunUntilTheDiskRefuses(sync, out string described);

        // The journaller failed cleanly: the process went on, the writers saw the failure, the topic reports it.
        Assert.True(report.Faults.Count > 0, $"no writer saw a failure: {described}");
        Assert.All(report.Faults, f => Assert.StartsWith("fault JournalException ", f, StringComparison.Ordinal));
        Assert.NotNull(report.JournalFault);
        Assert.StartsWith("journalfault JournalException ", report.JournalFault, StringComparison.Ordinal);
        string path = report.JournalFault!["journalfault JournalException ".Length..].Split(" | ")[0];
        Assert.True(File.Exists(path), $"the fault names '{path}', not a file of the journal: {report.JournalFault}");
        Assert.StartsWith(_directory.Path, path, StringComparison.Ordinal);
        Assert.All(report.Faults, f => Assert.Contains(Path.GetFileName(path), f, StringComparison.Ordinal));
        Assert.Empty(report.Errors);

        CrashJournalCheck.Result result = CrashJournalCheck.Verify(_directory.Path, sync, Acked(report), $"disk full, sync {sync}");
        Assert.True(result.Events >= report.Acks.Count, $"the journal holds {result.Events} events, {report.Acks.Count} were acknowledged");
        // A write that crossed the limit was cut short: usually a torn frame, which the reopen reports and truncates.
        output.WriteLine($"sync {sync}: {report.Acks.Count} acknowledged events checked, {result.Events} in the journal, {result.Recovery.TruncatedBytes} torn bytes truncated; failed file {path}");
        output.WriteLine(result.Recovery.ToString());
    }

    [Fact]
    public void FileSizeLimit_TopicDisposedAfterTheFailure_ReleasesTheDirectoryWithoutThrowing()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        CrashChildReport report = RunUntilTheDiskRefuses(SyncPolicy.None, out string described);
        Assert.True(report.Disposal == "disposed", $"disposing the failed topic: {report.Disposal ?? "no line"}: {described}");
    }

    [Fact]
    public void FileSizeLimit_NoByteMayBeWritten_OpenFailsWithAJournalExceptionNamingTheFile()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A limit of 0: the first file write of the open (the lock holder's process id) is refused with EFBIG, which .NET
        // reports as an ArgumentOutOfRangeException of the file length.
        using CrashChildProcess child = CrashChildProcess.Start(_directory.Path, SyncPolicy.None, journaledOnly: false, SegmentBytes, fileSizeLimitKiB: 0);
        bool exited = child.WaitForExit(RunTimeout);
        string described = child.Describe();
        Assert.True(exited, $"the child did not stop: {described}");
        string? failed = child.Lines.Select(l => l.Line).FirstOrDefault(l => l.StartsWith("openfailed ", StringComparison.Ordinal));

        Assert.True(failed is not null, $"no openfailed line: {described}");
        Assert.StartsWith($"openfailed {nameof(JournalException)} {_directory.Path}", failed);
        Assert.Contains("file size limit", failed);
        output.WriteLine(failed);
    }

    private CrashChildReport RunUntilTheDiskRefuses(SyncPolicy sync, out string described)
    {
        using CrashChildProcess child = CrashChildProcess.Start(_directory.Path, sync, journaledOnly: false, SegmentBytes, FileSizeLimitKiB);
        bool exited = child.WaitForExit(RunTimeout);
        described = child.Describe();
        Assert.True(exited, $"the child did not stop within {RunTimeout} of its journal failing: {described}");
        Assert.True(child.ExitCode == 0, $"the child died (exit code {child.ExitCode}) instead of reporting the failure: {described}");
        return CrashChildReport.Parse(child.Lines);
    }

    private static Dictionary<(int Partition, long Offset), (long Key, long Seq)> Acked(CrashChildReport report) =>
        report.Acks.ToDictionary(a => (a.Partition, a.Offset), a => (a.Key, a.Seq));
}
