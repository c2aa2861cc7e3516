using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>Review of the durable-topic engine integration: defects shown through the public API.</summary>
public sealed class DurableTopicReviewTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private TopicOptions Options(
        int capacity = 16, SyncPolicy sync = SyncPolicy.None, TimeSpan? syncInterval = null, PublishMode mode = PublishMode.MultiWriter) => new()
    {
        Name = "orders",
        PartitionCount = 1,
        Capacity = capacity,
        PublishMode = mode,
        Durability = new DurabilityOptions
        {
            Directory = _directory.Path,
            Sync = sync,
            SyncInterval = syncInterval ?? TimeSpan.FromMilliseconds(100),
            SegmentBytes = 4096,
        },
    };

    [Fact]
    public void Reader_AfterARoundThatHeldItsBatchBack_ReadsEveryEventFromTheRing()
    {
        // A full MaxBatch makes the round write whole 64 KiB chunks only (the ring, 16K slots of 16 bytes, holds four):
        // the 16 events stay in the journal's buffer.
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "orders",
            PartitionCount = 1,
            Capacity = 16384,
            PublishMode = PublishMode.SingleWriter,
            Durability = new DurabilityOptions { Directory = _directory.Path, MaxBatch = 16, JournallerDrivenByTest = true },
        });
        for (int i = 0; i < 16; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(topic.Journaller!.RunRoundForTest());
        PartitionJournal journal = topic[0].Journal!.Journal;
        Assert.True(journal.HasUnwritten);
        Assert.Equal(0, journal.FlushedEnd);

        // A reader from the start reads what the journal has not written from the ring, which still holds it.
        using PartitionReader<TestEvent> reader = topic.CreateReader(0, OffsetReset.Earliest);
        for (int i = 0; i < 16; i++)
        {
            Assert.True(reader.TryRead(out TestEvent e, out long offset), $"nothing at {i}");
            Assert.Equal(i, offset);
            Assert.Equal(i, e.Value);
        }
    }

    private void PublishAndClose(int count)
    {
        using var topic = new Topic<TestEvent>(Options());
        for (int i = 0; i < count; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }
    }

    private static List<long> ReadValues(PartitionReader<TestEvent> reader, int count)
    {
        var values = new List<long>();
        var deadline = DateTime.UtcNow + ReadTimeout;
        while (values.Count < count && DateTime.UtcNow < deadline)
        {
            if (reader.TryRead(out TestEvent @event, out long offset))
            {
                Assert.Equal(values.Count, offset);
                values.Add(@event.Value);
            }
        }

        return values;
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void CreateReader_SecondEarliestReaderWhileAnotherCatchesUpAfterReopen_ReadsTheJournaledEventsNotEmptySlots(PublishMode mode)
    {
        const int Count = 100;
        PublishAndClose(Count);
        using var topic = new Topic<TestEvent>(Options(mode: mode));
        // The first reader starts at the journal's start, below the (empty) ring: it catches up from the journal.
        using var first = topic.CreateReader(0, OffsetReset.Earliest);
        // The second registers while the first's sequence is still at 0: it must read [0, 100) from the journal too.
        using var second = topic.CreateReader(0, OffsetReset.Earliest);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), ReadValues(second, Count));
    }

    [Fact]
    public void CreateReader_SecondEarliestReaderWhileAnotherCatchesUpLive_ReadsTheJournaledEventsNotReusedSlots()
    {
        const int Count = 100;
        // No restart: the journal holds [0, 100), the 16-slot ring holds the last 16 (slots of older offsets were reused).
        using var topic = new Topic<TestEvent>(Options());
        for (int i = 0; i < Count; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => topic[0].AcknowledgedEnd == Count, Timeout));
        using var first = topic.CreateReader(0, OffsetReset.Earliest);
        Assert.True(first.TryRead(out _, out _));
        first.Commit();
        // The first reader's sequence is at 1 (journal side). The second starts at the journal's start (0).
        using var second = topic.CreateReader(0, OffsetReset.Earliest);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), ReadValues(second, Count));
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Seek_IntoTheJournalWhileAnotherReaderCatchesUp_ReadsTheJournaledEventsNotEmptySlots(PublishMode mode)
    {
        const int Count = 100;
        PublishAndClose(Count);
        using var topic = new Topic<TestEvent>(Options(mode: mode));
        using var catchingUp = topic.CreateReader(0, OffsetReset.Earliest);
        using var reader = topic.CreateReader(0, OffsetReset.Latest);
        // Accepted: the slow reader holds the retained window down to 0 (the journal still has [0, 100)).
        reader.Seek(10);
        List<long> values = [];
        var deadline = DateTime.UtcNow + ReadTimeout;
        while (values.Count < 5 && DateTime.UtcNow < deadline)
        {
            if (reader.TryRead(out TestEvent @event, out long offset))
            {
                Assert.Equal(10 + values.Count, offset);
                values.Add(@event.Value);
            }
        }

        Assert.Equal([10L, 11, 12, 13, 14], values);
    }

    [Fact]
    public void Reopen_GroupClosedBeforeTheTopicUnderIntervalSync_ResumesAfterWhatItCommitted()
    {
        const int Count = 40;
        TopicOptions options = Options(capacity: 64, sync: SyncPolicy.Interval, syncInterval: TimeSpan.FromSeconds(30));
        using (var topic = new Topic<TestEvent>(options))
        {
            // The documented clean shutdown: the group closes after it committed everything, then the topic closes
            // (which journals, syncs and acknowledges everything).
            using (var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }))
            {
                group.Join(new ActionHandler((_, _, _, _) => { }));
                for (int i = 0; i < Count; i++)
                {
                    topic.PublishTo(0, new TestEvent(i));
                }

                Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == Count, Timeout));
            }
        }

        using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(Count, reopened[0].EndOffset);
        // Every event was handled and committed, and acknowledged at the close: nothing is redelivered.
        Assert.Equal(Count, reopened.Recovery!.GroupOffsets[("billing", 0)]);
    }

    [Fact]
    public void IntervalSync_IdleTopic_RewritesNoFileWhileNothingIsPublished()
    {
        using var topic = new Topic<TestEvent>(Options(sync: SyncPolicy.Interval, syncInterval: TimeSpan.FromMilliseconds(20)));
        PublishResult published = topic.PublishTo(0, new TestEvent(1));
        Assert.True(topic.WaitAcknowledged(published, Timeout));
        Thread.Sleep(200);
        string before = FileTimes();
        // Nothing published, nothing committed: an idle topic has nothing to sync.
        Thread.Sleep(500);
        Assert.Equal(before, FileTimes());
    }

    private string FileTimes() => string.Join(
        "\n",
        Directory.EnumerateFiles(_directory.Path, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetFileName(f)} {File.GetLastWriteTimeUtc(f).Ticks}"));

    /// <summary>Makes the journaller fail: its partition's directory disappears, so the next segment cannot be created.</summary>
    private Task<Exception?> PublishUntilTheJournalFails(Topic<TestEvent> topic)
    {
        Directory.Delete(Path.Combine(_directory.Path, "orders", "0"), recursive: true);
        var publishing = Task.Run<Exception?>(() => Record.Exception(() =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                topic.PublishTo(0, new TestEvent(i));
            }
        }));
        Assert.True(SpinWait.SpinUntil(() => topic.JournalFault is not null, Timeout), "the journal did not fail");
        return publishing;
    }

    [Fact]
    public void Publish_AfterTheJournalFailed_ThrowsTheFaultInsteadOfBlockingForever()
    {
        var topic = new Topic<TestEvent>(Options());
        try
        {
            Task<Exception?> publishing = PublishUntilTheJournalFails(topic);
            // The ring is full and its only gate (the journaller) is gone: a blocking publish must be told, not hang.
            Assert.True(publishing.Wait(TimeSpan.FromSeconds(5)), "the publisher is still blocked 5 s after the journal failed");
            Assert.IsAssignableFrom<JournalException>(publishing.Result);
        }
        finally
        {
            try
            {
                topic.Dispose();
            }
            catch (IOException)
            {
                // Shown by Dispose_AfterTheJournalFailed_DoesNotThrowAndReleasesTheDirectory.
            }
        }
    }

    [Fact]
    public void Dispose_AfterTheJournalFailed_DoesNotThrowAndReleasesTheDirectory()
    {
        var topic = new Topic<TestEvent>(Options());
        Task<Exception?> publishing = PublishUntilTheJournalFails(topic);
        Assert.Null(Record.Exception(topic.Dispose));
        Assert.True(publishing.Wait(Timeout));
        // The lock was released: the topic can be reopened by this process.
        using var reopened = new Topic<TestEvent>(Options());
    }

    [Fact]
    public void Dispose_TopicWhileAGroupCatchesUpFromTheJournal_BlamesNoHandler()
    {
        PublishAndClose(2000);
        var topic = new Topic<TestEvent>(Options());
        var errors = new ConcurrentQueue<HandlerError>();
        long seen = 0;
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "slow",
            ErrorPolicy = new ErrorPolicy { OnError = errors.Enqueue },
        });
        group.Join(new ActionHandler((_, _, _, _) =>
        {
            Interlocked.Increment(ref seen);
            Thread.Sleep(1);
        }));
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref seen) >= 20, Timeout));
        // The topic closes (its journal files with it) while the group is still reading [0, 2000) from the journal.
        topic.Dispose();
        Thread.Sleep(300);
        Assert.Empty(errors.Select(e => $"offset {e.Offset}: {e.Error.GetType().Name}: {e.Error.Message}"));
    }

    [Fact]
    public void CatchUp_DamagedJournalBatchUnderASkipPolicy_IsNotSkippedAsAHandlerFailure()
    {
        PublishAndClose(100);
        using var topic = new Topic<TestEvent>(Options());
        // Damage lands after the journal was opened and checked: a byte inside the last batch's events flips on disk.
        string segment = Directory.EnumerateFiles(Path.Combine(_directory.Path, "orders", "0"), "*.log").Order(StringComparer.Ordinal).First();
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = file.Length - 4;
            int b = file.ReadByte();
            file.Position = file.Length - 4;
            file.WriteByte((byte)(b ^ 0xFF));
        }

        var skipped = new ConcurrentQueue<HandlerError>();
        long seen = 0;
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "audit",
            ErrorPolicy = new ErrorPolicy { AfterRetries = ErrorAction.Skip, OnSkipped = skipped.Enqueue },
        });
        group.Join(new ActionHandler((_, _, _, _) => Interlocked.Increment(ref seen)));
        topic.PublishTo(0, new TestEvent(100));
        SpinWait.SpinUntil(() => Interlocked.Read(ref seen) + skipped.Count >= 101, TimeSpan.FromSeconds(5));
        // The handler never saw those events: the engine could not read them. Skipping them as the handler's failure
        // loses journaled events silently (and with a dead-letter policy the copy would read the damaged batch again).
        Assert.DoesNotContain(skipped, e => e.Error is JournalException);
    }
}
