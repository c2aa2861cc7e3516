using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>
/// The journaller's sequence (what gates the writers and what <see cref="Topic{T}.CompleteAsync"/> waits for) follows the
/// journal's flushed end, whichever part of a round wrote the bytes: also when a round held a batch's tail back (a chunk
/// flush) and the interval sync or a transaction's settling wrote it, leaving the next rounds nothing to dispatch or
/// write.
/// </summary>
public sealed class JournallerCommitTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task IntervalSyncWritesTheHeldBackTail_TheJournallersSequenceReachesTheEnd_CompleteAsyncFinishes()
    {
        // 16K slots of 16 bytes hold four 64 KiB chunks, so a full batch (MaxBatch 16) makes the round write whole chunks
        // only and hold the 16 events back; the round's interval sync then writes them.
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "lag",
            Capacity = 16384,
            PublishMode = PublishMode.SingleWriter,
            Durability = new DurabilityOptions { Directory = _directory.Path, MaxBatch = 16, Sync = SyncPolicy.Interval, JournallerDrivenByTest = true },
        });
        for (int i = 0; i < 16; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        for (int round = 0; round < 3; round++)
        {
            topic.Journaller!.RunRoundForTest();
        }

        Assert.Equal(16, topic[0].Journal!.Journal.FlushedEnd);
        Assert.Equal(16, topic[0].MinGatingSequence());
        Task completion = topic.CompleteAsync();
        Assert.Same(completion, await Task.WhenAny(completion, Task.Delay(TimeSpan.FromSeconds(10))));
    }
}
