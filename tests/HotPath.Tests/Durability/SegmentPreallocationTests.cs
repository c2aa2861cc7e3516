using System.Diagnostics;
using System.Globalization;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="DurabilityOptions.PreallocateSegments"/> (opt-in): on Linux the active segment reserves its full size of
/// disk blocks without growing (readers and recovery see only the data), each new segment of a roll too, the reservation
/// is given back when the topic closes (also one left by an earlier process), and nothing is reserved with the option off
/// (the default). Allocated sizes come from <c>stat</c> (blocks of 512
/// bytes). Elsewhere the option does nothing, which the last assertions of each test check too.
/// </summary>
public sealed class SegmentPreallocationTests : IDisposable
{
    private const long SegmentBytes = 1 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ActiveSegment_ReservesItsSizeWithoutGrowing_AndGivesItBackOnClose()
    {
        string segment;
        using (Topic<TestEvent> topic = Open(preallocate: true))
        {
            PublishAndWait(topic, 10);
            segment = Segments().Single();
            long length = new FileInfo(segment).Length;
            Assert.True(length < 4096, $"the segment file grew to {length} bytes with 10 events: the reservation must not change its size");
            if (OperatingSystem.IsLinux())
            {
                Assert.True(AllocatedBytes(segment) >= SegmentBytes, $"the active segment has {AllocatedBytes(segment)} bytes allocated, expected its size {SegmentBytes} reserved");
            }
        }

        Assert.True(AllocatedBytes(segment) < 64 * 1024, $"after close the segment still has {AllocatedBytes(segment)} bytes allocated for {new FileInfo(segment).Length} bytes of data");
        using Topic<TestEvent> reopened = Open(preallocate: true);
        Assert.Equal(10, reopened[0].EndOffset);
    }

    /// <summary>
    /// Rolls: each new active segment reserves its size too. A roll seals a segment with less than one batch free and
    /// leaves that reservation (giving it back would make XFS write the segment back on the journaller's thread): sealed
    /// segments hold no more than their data and a frame.
    /// </summary>
    [Fact]
    public void Roll_TheNewActiveSegmentReservesItsSize_AndSealedOnesHoldNoMoreThanTheirData()
    {
        using Topic<TestEvent> topic = Open(preallocate: true);
        // 16-byte events: well over three segments of 1 MiB.
        PublishAndWait(topic, 200_000);
        string[] segments = Segments();
        Assert.True(segments.Length >= 3, $"expected rolls, found {segments.Length} segment(s)");
        foreach (string sealedSegment in segments[..^1])
        {
            long length = new FileInfo(sealedSegment).Length;
            Assert.True(AllocatedBytes(sealedSegment) <= length + (64 * 1024), $"sealed {Path.GetFileName(sealedSegment)} has {AllocatedBytes(sealedSegment)} bytes allocated for {length} bytes of data");
        }

        if (OperatingSystem.IsLinux())
        {
            Assert.True(AllocatedBytes(segments[^1]) >= SegmentBytes, $"the new active segment has {AllocatedBytes(segments[^1])} bytes allocated");
        }
    }

    /// <summary>
    /// A reservation left past a segment's end by a process that did not close the topic (made here with the
    /// <c>fallocate</c> tool on a closed topic's segment) is given back when the reopened topic closes.
    /// </summary>
    [Fact]
    public void ReservationLeftByAnEarlierProcess_IsGivenBackWhenTheReopenedTopicCloses()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using (Topic<TestEvent> topic = Open(preallocate: false))
        {
            PublishAndWait(topic, 10);
        }

        string segment = Segments().Single();
        using (var fallocate = Process.Start("fallocate", ["-n", "-l", SegmentBytes.ToString(CultureInfo.InvariantCulture), segment]))
        {
            fallocate.WaitForExit();
            Assert.Equal(0, fallocate.ExitCode);
        }

        Assert.True(AllocatedBytes(segment) >= SegmentBytes, "the fallocate tool reserved nothing");
        using (Topic<TestEvent> reopened = Open(preallocate: true))
        {
            Assert.Equal(10, reopened[0].EndOffset);
            PublishAndWait(reopened, 10);
        }

        Assert.True(AllocatedBytes(segment) < 64 * 1024, $"after the reopened topic closed the segment still has {AllocatedBytes(segment)} bytes allocated");
    }

    [Fact]
    public void PreallocateSegmentsOff_TheDefault_ReservesNothing()
    {
        Assert.False(new DurabilityOptions { Directory = _directory.Path }.PreallocateSegments);
        using Topic<TestEvent> topic = Open(preallocate: false);
        PublishAndWait(topic, 10);
        string segment = Segments().Single();
        Assert.True(AllocatedBytes(segment) < 64 * 1024, $"{AllocatedBytes(segment)} bytes allocated with the option off");
    }

    private Topic<TestEvent> Open(bool preallocate) => new(new TopicOptions
    {
        Name = "prealloc",
        Capacity = 1024,
        PublishMode = PublishMode.SingleWriter,
        Durability = new DurabilityOptions { Directory = _directory.Path, SegmentBytes = SegmentBytes, PreallocateSegments = preallocate },
    });

    private static void PublishAndWait(Topic<TestEvent> topic, int count)
    {
        long last = -1;
        for (int i = 0; i < count; i++)
        {
            last = topic[0].Publish(new TestEvent(i));
        }

        Assert.True(topic[0].WaitAcknowledged(last, Timeout), $"offset {last} was not acknowledged");
    }

    /// <summary>The partition's segment files (<c>{baseOffset:D20}.log</c>), oldest first.</summary>
    private string[] Segments() =>
        [.. Directory.EnumerateFiles(_directory.Path, "*.log", SearchOption.AllDirectories)
            .Where(f => Path.GetFileNameWithoutExtension(f) is { Length: 20 } name && name.All(char.IsAsciiDigit))
            .Order(StringComparer.Ordinal)];

    /// <summary>The bytes of disk blocks allocated to <paramref name="file"/>: <c>stat -c %b</c> blocks of 512 bytes (0 off Linux).</summary>
    private static long AllocatedBytes(string file)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b", file]) { RedirectStandardOutput = true })!;
        string output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture) * 512;
    }
}
