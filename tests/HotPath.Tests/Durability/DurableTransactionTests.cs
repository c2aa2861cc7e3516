using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Durability;

/// <summary>
/// Transactions on durable topics through the public API: over several partitions (a commit record in the directory's
/// transaction log), consume-transform-produce with the input offsets (exactly once across a restart), and the refusals.
/// The crash tests (<see cref="TransactionalCrashTests"/>, <see cref="ExactlyOnceCrashTests"/>) kill the process in between.
/// </summary>
public sealed class DurableTransactionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private TopicOptions Options(string name, int partitions = 2, SyncPolicy sync = SyncPolicy.EveryBatch, string? root = null) => new()
    {
        Name = name,
        PartitionCount = partitions,
        Capacity = 64,
        Durability = new DurabilityOptions { Directory = root ?? _directory.Path, Sync = sync, SegmentBytes = 4096 },
    };

    [Theory]
    [InlineData(SyncPolicy.None)]
    [InlineData(SyncPolicy.Interval)]
    [InlineData(SyncPolicy.EveryBatch)]
    public void Transaction_OverTwoPartitions_IsAcknowledgedAfterItsCommitRecordAndReadsBackWholeAfterReopen(SyncPolicy sync)
    {
        using (var topic = new Topic<TestEvent>(Options("orders", sync: sync)))
        using (var coordinator = new TransactionCoordinator())
        using (TransactionalPublisher publisher = coordinator.CreatePublisher("t"))
        {
            for (int t = 0; t < 20; t++)
            {
                publisher.Begin();
                PublishResult a = publisher.PublishTo(topic, 0, new TestEvent(t));
                PublishResult b = publisher.PublishTo(topic, 1, new TestEvent(t));
                publisher.Commit();
                Assert.True(topic.WaitAcknowledged(a, Timeout));
                Assert.True(topic.WaitAcknowledged(b, Timeout));
            }

            Assert.True(TransactionLog.ExistsUnder(_directory.Path));
        }

        using var reopened = new Topic<TestEvent>(Options("orders", sync: sync));
        Assert.Equal(20, reopened[0].EndOffset);
        Assert.Equal(20, reopened[1].EndOffset);
        foreach (int partition in new[] { 0, 1 })
        {
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), ReadAll(reopened, partition).Select(e => e.Value));
        }
    }

    [Fact]
    public void Transaction_OnOneDurablePartition_NeedsNoTransactionLog()
    {
        using var topic = new Topic<TestEvent>(Options("orders"));
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("t");
        publisher.Begin();
        PublishResult a = publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();
        Assert.True(topic.WaitAcknowledged(a, Timeout));
        Assert.False(TransactionLog.ExistsUnder(_directory.Path));
    }

    [Fact]
    public void Transaction_OnOneDurablePartitionAcrossTheRingsEnd_IsWholeOrAbsentAfterACrashInsideItsWrite()
    {
        // A ring of 8 slots; 6 plain events first, so the transaction's 4 events take slots 6, 7, 0, 1: the journaller
        // gets them as two spans, two frames of one write. A crash that cuts that write between the frames (a SIGKILL
        // ends a write to the page cache at a page boundary) must not leave half the transaction.
        TopicOptions plain = Options("orders", partitions: 1, sync: SyncPolicy.None);
        TopicOptions options = plain with { Capacity = 8, Durability = plain.Durability! with { JournallerDrivenByTest = true } };
        string segment;
        long frameEnd;
        var topic = new Topic<TestEvent>(options);
        using (var coordinator = new TransactionCoordinator())
        using (TransactionalPublisher publisher = coordinator.CreatePublisher("t"))
        {
            for (int i = 0; i < 6; i++)
            {
                topic.PublishTo(0, new TestEvent(i));
            }

            Assert.True(topic.Journaller!.RunRoundForTest());
            publisher.Begin();
            for (int i = 0; i < 4; i++)
            {
                publisher.PublishTo(topic, 0, new TestEvent(100 + i));
            }

            publisher.Commit();
            PartitionJournal journal = topic[0].Journal!.Journal;
            segment = Path.Combine(journal.Directory, SegmentLayout.SegmentFileName(0));
            long before = new FileInfo(segment).Length;
            Assert.True(topic.Journaller.RunRoundForTest());
            Assert.Equal(10, journal.FlushedEnd);
            // Cut the transaction's write after its first frame (slots 6 and 7) and a few bytes of the second.
            frameEnd = before + FrameLayout.HeaderSize + SegmentLayout.BatchHeaderSize + (2 * 16) + 5;
            journal.AbandonForTest();
        }

        topic.Dispose();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(frameEnd);
        }

        using var reopened = new Topic<TestEvent>(plain);
        long[] values = [.. ReadAll(reopened, 0, IsolationLevel.ReadCommitted).Select(e => e.Value)];
        long[] transaction = [.. values.Where(v => v >= 100)];
        Assert.True(transaction.Length is 0 or 4, $"the transaction is partial after the crash: [{string.Join(", ", values)}]");
    }

    [Fact]
    public void Transaction_OverTwoDurabilityDirectories_IsAbortedNamingBoth()
    {
        string other = _directory.Combine("other");
        using var first = new Topic<TestEvent>(Options("a"));
        using var second = new Topic<TestEvent>(Options("b", root: other));
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("t");
        publisher.Begin();
        publisher.PublishTo(first, 0, new TestEvent(1));
        publisher.PublishTo(second, 0, new TestEvent(2));
        var e = Assert.Throws<TransactionAbortedException>(publisher.Commit);
        Assert.Contains(_directory.Path, e.Message);
        Assert.Contains(other, e.Message);
        Assert.Contains("one DurabilityOptions.Directory", e.Message);
        publisher.Abort();
        // Nothing of it is readable, and the next transaction within one directory commits.
        Assert.Empty(ReadAll(first, 0, IsolationLevel.ReadCommitted));
        publisher.Begin();
        publisher.PublishTo(first, 0, new TestEvent(3));
        publisher.PublishTo(first, 1, new TestEvent(4));
        publisher.Commit();
    }

    [Fact]
    public void ConsumeTransformProduce_AcrossARestart_ForwardsEveryInputExactlyOnce()
    {
        const int PerRun = 300;
        for (int run = 0; run < 2; run++)
        {
            using var input = new Topic<TestEvent>(Options("in"));
            using var output = new Topic<TestEvent>(Options("out", partitions: 3));
            using var coordinator = new TransactionCoordinator();
            using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions
            {
                GroupId = "forward",
                CommitMode = CommitMode.Manual,
                AutoOffsetReset = OffsetReset.Earliest,
            });
            group.JoinTransactional(new Forwarder(output), coordinator);
            for (int i = 0; i < PerRun; i++)
            {
                long value = (run * PerRun) + i;
                input.PublishTo((int)(value % 2), new TestEvent(value));
            }

            Assert.True(
                SpinWait.SpinUntil(() => group.GetCommittedOffset("in", 0) + group.GetCommittedOffset("in", 1) == (run + 1) * PerRun, Timeout),
                $"run {run}: committed {group.GetCommittedOffset("in", 0)} + {group.GetCommittedOffset("in", 1)}");
        }

        using var reopenedInput = new Topic<TestEvent>(Options("in"));
        Assert.Equal(PerRun, reopenedInput.Recovery!.GroupOffsets[("forward", 0)]);
        Assert.Equal(PerRun, reopenedInput.Recovery.GroupOffsets[("forward", 1)]);
        using var reopenedOutput = new Topic<TestEvent>(Options("out", partitions: 3));
        long[] forwarded = [.. Enumerable.Range(0, 3).SelectMany(p => ReadAll(reopenedOutput, p, IsolationLevel.ReadCommitted)).Select(e => e.Value).Order()];
        Assert.Equal(Enumerable.Range(0, 2 * PerRun).Select(i => (long)i), forwarded);
    }

    [Fact]
    public void Seek_BackBelowATransactionalCommit_TheReopenedGroupResumesAtTheSeek()
    {
        // Run 1: a transactional group forwards 10 inputs per partition: its offsets (10) are in the transaction log.
        using (var input = new Topic<TestEvent>(Options("in")))
        using (var output = new Topic<TestEvent>(Options("out", partitions: 3)))
        using (var coordinator = new TransactionCoordinator())
        using (var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "forward", CommitMode = CommitMode.Manual }))
        {
            group.JoinTransactional(new Forwarder(output), coordinator);
            for (int i = 0; i < 20; i++)
            {
                input.PublishTo(i % 2, new TestEvent(i));
            }

            Assert.True(
                SpinWait.SpinUntil(() => group.GetCommittedOffset("in", 0) == 10 && group.GetCommittedOffset("in", 1) == 10, Timeout),
                $"committed {group.GetCommittedOffset("in", 0)} and {group.GetCommittedOffset("in", 1)}");
        }

        // Run 2: the same group id, plain, seeks partition 0 back to 3 (Kafka's offset reset, to handle 3 to 9 again).
        using (var input = new Topic<TestEvent>(Options("in")))
        using (var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "forward", CommitMode = CommitMode.Manual }))
        {
            group.Join(new Ignore());
            Assert.Equal(10, group.GetCommittedOffset("in", 0));
            group.Seek("in", 0, 3);
            Assert.Equal(3, group.GetCommittedOffset("in", 0));
        }

        using var reopened = new Topic<TestEvent>(Options("in"));
        Assert.Equal(3, reopened.Recovery!.GroupOffsets[("forward", 0)]);
        Assert.Equal(10, reopened.Recovery.GroupOffsets[("forward", 1)]);
    }

    [Fact]
    public void Transaction_OnOneDurablePartition_UnderIntervalClosedBeforeTheNextSync_IsAcknowledgedAtCloseAndTheGroupResumesPastIt()
    {
        // An interval longer than the test: only the close syncs. The transaction's end marker is written by the close's
        // last round and must be synced and acknowledged there too, or the group's offset past it is persisted clamped
        // below it and the reopened group reads it again.
        TopicOptions options = Options("orders", partitions: 1, sync: SyncPolicy.Interval) with
        {
            Durability = new DurabilityOptions { Directory = _directory.Path, Sync = SyncPolicy.Interval, SyncInterval = TimeSpan.FromHours(1), SegmentBytes = 4096 },
        };
        using (var topic = new Topic<TestEvent>(options))
        using (var coordinator = new TransactionCoordinator())
        using (TransactionalPublisher publisher = coordinator.CreatePublisher("t"))
        {
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g" });
            group.Join(new Ignore());
            publisher.Begin();
            for (int i = 0; i < 3; i++)
            {
                publisher.PublishTo(topic, 0, new TestEvent(i));
            }

            publisher.Commit();
            Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 3, Timeout), $"committed {group.GetCommittedOffset("orders", 0)}");
        }

        using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(3, reopened[0].EndOffset);
        Assert.Equal(3, reopened.Recovery!.GroupOffsets[("g", 0)]);
        Assert.Equal([0L, 1L, 2L], ReadAll(reopened, 0, IsolationLevel.ReadCommitted).Select(e => e.Value));
    }

    private static List<TestEvent> ReadAll(Topic<TestEvent> topic, int partition, IsolationLevel isolation = IsolationLevel.ReadUncommitted) =>
        [.. PartitionReads.ReadToEnd(topic, partition, isolation, Timeout, $"'{topic.Name}'").Select(r => r.Event)];

    private sealed class Forwarder(Topic<TestEvent> output) : ITransactionalHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction) =>
            transaction.PublishTo(output, (int)(@event.Value % 3), @event);
    }

    private readonly struct Ignore : IEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
        }
    }
}
