using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// How the bias owner is recognised on the claim's fast path: by the frame it recorded (its stack), not by a thread-static
/// read ("Who is the owner" in Partition.Bias.cs). Only the recorded frame passes; the owner claiming from another depth
/// keeps its bias and records the new frame; another thread revokes as before. The claim is inlined into its caller
/// (each inlined copy with a frame of its own), so every publish here goes through one out-of-line helper,
/// <see cref="PublishHere"/>: its frame is the claim's, and its depth is its caller's.
/// </summary>
public class WriterBiasOwnerFrameTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> MultiWriterTopic() =>
        new(new TopicOptions { Name = "bias-frame", Capacity = 64, PublishMode = PublishMode.MultiWriter });

    [Fact]
    public void IsOwnerFrame_OnlyTheRecordedFrame()
    {
        using Topic<TestEvent> topic = MultiWriterTopic();
        Partition<TestEvent> partition = topic[0];
        Assert.Equal(0, partition.OwnerFrameForTest);
        Assert.False(partition.IsOwnerFrameForTest(Partition<TestEvent>.CurrentFrameForTest()), "no owner recorded: no frame passes");

        PublishHere(partition, 0);
        nint recorded = partition.OwnerFrameForTest;
        Assert.NotEqual(0, recorded);
        Assert.True(partition.IsOwnerFrameForTest(recorded));
        Assert.False(partition.IsOwnerFrameForTest(recorded - 1), "a deeper frame of the same stack may be another thread's once the owner ended");
        Assert.False(partition.IsOwnerFrameForTest(recorded + 1));
        Assert.False(partition.IsOwnerFrameForTest(0));
    }

    [Fact]
    public void Publish_OwnerClaimsFromDeeperAndShallowerFrames_KeepsTheBiasAndRecordsEachFrame()
    {
        using Topic<TestEvent> topic = MultiWriterTopic();
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Partition<TestEvent> partition = topic[0];
        Assert.Equal(0, PublishHere(partition, 0));
        nint shallow = partition.OwnerFrameForTest;

        // 32 KiB of stack between this frame and the claim's: another frame, so the claim takes the slow path, which finds
        // this thread's number as the owner's and records the deeper frame.
        (long offset, nint deep) = PublishBelow(partition, 32 * 1024, value: 1);
        Assert.Equal(1, offset);
        Assert.True(partition.IsWriterBiased, "the owner claiming from another depth keeps its bias");
        Assert.True(deep < shallow - (32 * 1024), $"recorded {deep:x} after {shallow:x}: the deeper frame");

        // Back at the first depth: the slow path again, and the shallow frame again.
        Assert.Equal(2, PublishHere(partition, 2));
        Assert.True(partition.IsWriterBiased);
        Assert.Equal(shallow, partition.OwnerFrameForTest);

        // And another thread still revokes it, from wherever its stack is.
        long second = -1;
        var thread = new Thread(() => second = partition.Publish(new TestEvent(3)));
        thread.Start();
        Assert.True(thread.Join(Timeout));
        Assert.Equal(3, second);
        Assert.False(partition.IsWriterBiased);
        Assert.Equal(4, partition.Publish(new TestEvent(4)));

        var seen = new List<long>();
        var handler = new Collect(seen);
        while (seen.Count < 5)
        {
            reader.Poll(ref handler);
        }

        Assert.Equal([0, 1, 2, 3, 4], seen);
    }

    [Fact]
    public void Publish_AnotherThreadsFrames_NeverPassTheOwnersCheck()
    {
        using Topic<TestEvent> topic = MultiWriterTopic();
        Partition<TestEvent> partition = topic[0];
        partition.Publish(new TestEvent(0));
        bool passed = true;
        var thread = new Thread(() =>
        {
            passed = partition.IsOwnerFrameForTest(Partition<TestEvent>.CurrentFrameForTest());
            for (int depth = 1024; depth <= 256 * 1024 && !passed; depth *= 2)
            {
                passed = FrameBelowPasses(partition, depth);
            }
        }, maxStackSize: 1024 * 1024);
        thread.Start();
        Assert.True(thread.Join(Timeout));
        Assert.False(passed, "a frame of another thread passed the owner's check");
        Assert.True(partition.IsWriterBiased, "only checked, nothing claimed");
    }

    /// <summary>Publishes from a frame <paramref name="bytes"/> below this one; returns the offset and the frame recorded then.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (long Offset, nint Recorded) PublishBelow(Partition<TestEvent> partition, int bytes, long value)
    {
        Span<byte> pad = stackalloc byte[bytes];
        pad[^1] = 1;
        long offset = PublishHere(partition, value);
        return (offset + pad[^1] - 1, partition.OwnerFrameForTest);
    }

    /// <summary>One publish from this helper's own frame (the claim is inlined here, not into the test).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long PublishHere(Partition<TestEvent> partition, long value) => partition.Publish(new TestEvent(value));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FrameBelowPasses(Partition<TestEvent> partition, int bytes)
    {
        Span<byte> pad = stackalloc byte[bytes];
        pad[^1] = 1;
        return partition.IsOwnerFrameForTest(Partition<TestEvent>.CurrentFrameForTest()) && pad[^1] == 1;
    }

    private readonly struct Collect(List<long> seen) : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Assert.Equal(offset, @event.Value);
            seen.Add(offset);
        }
    }
}
