using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Durability;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

/// <summary>
/// <see cref="Partition{T}.PublishAsync"/> and <see cref="Partition{T}.WaitToPublishAsync"/>: an async writer on a full ring
/// awaits without a thread and is woken by whatever frees its way (a reader's commit, with every wait strategy, since
/// async writers raise the readers' wake flag whatever the topic's strategy; another writer's publish; the journaller of a
/// durable topic; Complete and Dispose). An async waiter has no backstop: a lost wake-up hangs it and the test fails
/// after <see cref="Hang"/>.
/// </summary>
public sealed class AsyncPublishTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    public static TheoryData<PublishMode, string> ModesAndWaits() => new()
    {
        { PublishMode.SingleWriter, "blocking" },
        { PublishMode.SingleWriter, "yielding" },
        { PublishMode.SingleWriter, "busy-spin" },
        { PublishMode.MultiWriter, "blocking" },
        { PublishMode.MultiWriter, "yielding" },
        { PublishMode.MultiWriter, "busy-spin" },
    };

    [Theory]
    [MemberData(nameof(ModesAndWaits))]
    public async Task PublishAsync_ManyEventsThroughTinyRingWhileReaderCommits_ReaderGetsEveryEventOnceInOrder(PublishMode mode, string wait)
    {
        const int Events = 20_000;
        using Topic<TestEvent> topic = CreateTopic(mode, wait, capacity: 4);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        var read = new List<long>(Events);
        // The reader starts once the ring is full and the writer's next publish waits: at least one wake-up is exercised
        // whatever the timing (a CI run saw 20,000 publishes pass through the 4 slots without one wait).
        using var go = new ManualResetEventSlim();
        Task drain = Task.Factory.StartNew(
            () =>
            {
                go.Wait();
                int idle = 0;
                while (read.Count < Events)
                {
                    if (reader.TryRead(out TestEvent @event, out long offset))
                    {
                        Assert.Equal(offset, @event.Value);
                        read.Add(@event.Value);
                        // A commit per event: each one may be the one that frees the awaiting writer's slot.
                        reader.Commit();
                        idle = 0;
                    }
                    else
                    {
                        WaitStrategy.Yielding.Idle(ref idle);
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        int waited = 0;
        for (int i = 0; i < Events; i++)
        {
            ValueTask<long> published = partition.PublishAsync(new TestEvent(i));
            waited += published.IsCompleted ? 0 : 1;
            if (i == partition.Capacity)
            {
                Assert.False(published.IsCompleted, "with the ring full and its reader not started, the publish must wait");
                go.Set();
            }

            Assert.Equal(i, await published.AsTask().WaitAsync(Hang));
        }

        await drain.WaitAsync(Hang);
        Assert.Equal(Enumerable.Range(0, Events).Select(i => (long)i), read);
        Assert.True(waited > 0, "the writer never waited: the test did not exercise the wake-up");
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void PublishAsync_RoomBehindAGatingReader_CompletesSynchronouslyAndAllocatesNothing(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, "blocking", capacity: 4096);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        using var cancellation = new CancellationTokenSource();
        for (int i = 0; i < 100; i++)
        {
            // Warm-up: the JIT's tiers.
            _ = partition.PublishAsync(new TestEvent(i), cancellation.Token).Result;
            _ = partition.WaitToPublishAsync(cancellation.Token).Result;
        }

        bool allSynchronous = true;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            ValueTask<long> published = partition.PublishAsync(new TestEvent(i), cancellation.Token);
            ValueTask<bool> room = partition.WaitToPublishAsync(cancellation.Token);
            allSynchronous &= published.IsCompletedSuccessfully && room.IsCompletedSuccessfully && room.Result;
            _ = published.Result;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allSynchronous, "a publish or wait with room completed asynchronously");
        Assert.Equal(0, allocated);
        Assert.Equal(2100, partition.EndOffset);
    }

    [Fact]
    public async Task PublishAsync_TwoAsyncWritersThroughTinyRing_ReaderGetsEveryEventOnce()
    {
        const int PerWriter = 10_000;
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "blocking", capacity: 2);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        var seen = new HashSet<(int Writer, long Value)>();
        Task drain = Task.Factory.StartNew(
            () =>
            {
                int idle = 0;
                while (seen.Count < 2 * PerWriter)
                {
                    if (reader.TryRead(out TestEvent @event, out _))
                    {
                        Assert.True(seen.Add((@event.Writer, @event.Value)), "an event was handed out twice");
                        reader.Commit();
                        idle = 0;
                    }
                    else
                    {
                        WaitStrategy.Yielding.Idle(ref idle);
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        async Task Write(int writer)
        {
            for (int i = 0; i < PerWriter; i++)
            {
                await partition.PublishAsync(new TestEvent(i, writer));
            }
        }

        await Task.WhenAll(Task.Run(() => Write(1)), Task.Run(() => Write(2))).WaitAsync(Hang);
        await drain.WaitAsync(Hang);
        Assert.Equal(2 * PerWriter, partition.EndOffset);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public async Task PublishAsync_DurableTopicWithoutReaders_JournallerFreesTheRing(PublishMode mode)
    {
        // No reader: the journaller alone gates the ring (its cursor passes what it journaled); it must wake the writer.
        using var directory = new TempDirectory();
        const int Events = 2_000;
        using (var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "durable-async",
            Capacity = 4,
            PublishMode = mode,
            WaitStrategy = WaitStrategy.Yielding,
            Durability = new DurabilityOptions { Directory = directory.Path, SegmentBytes = 1 << 16 },
        }))
        {
            int waited = 0;
            for (int i = 0; i < Events; i++)
            {
                ValueTask<PublishResult> published = topic.PublishToAsync(0, new TestEvent(i));
                waited += published.IsCompleted ? 0 : 1;
                Assert.Equal(new PublishResult(0, i), await published.AsTask().WaitAsync(Hang));
            }

            Assert.True(waited > 0, "the writer never waited for the journaller");
        }

        using var reopened = new Topic<TestEvent>(new TopicOptions
        {
            Name = "durable-async",
            Capacity = 4,
            PublishMode = mode,
            Durability = new DurabilityOptions { Directory = directory.Path, SegmentBytes = 1 << 16 },
        });
        Assert.Equal(Events, reopened[0].EndOffset);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public async Task PublishAsync_DurableTopicWithAReadJournaledOnlyGroup_GroupAndJournallerFreeTheRing(PublishMode mode)
    {
        // The group reads only what the journal acknowledged: its commits trail the journaller's, and both gate the ring.
        using var directory = new TempDirectory();
        const int Events = 2_000;
        await using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "durable-journaled-only",
            Capacity = 4,
            PublishMode = mode,
            Durability = new DurabilityOptions { Directory = directory.Path, SegmentBytes = 1 << 16 },
        });
        long handled = 0;
        long expected = 0;
        bool inOrder = true;
        await using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "journaled-only", ReadJournaledOnly = true });
        group.Join(new ActionHandler((@event, _, offset, _) =>
        {
            inOrder &= @event.Value == offset && offset == expected++;
            Interlocked.Increment(ref handled);
        }));

        int waited = 0;
        for (int i = 0; i < Events; i++)
        {
            ValueTask<PublishResult> published = topic.PublishToAsync(0, new TestEvent(i));
            waited += published.IsCompleted ? 0 : 1;
            Assert.Equal(new PublishResult(0, i), await published.AsTask().WaitAsync(Hang));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("durable-journaled-only", 0) == Events, Hang), "the group did not commit every event");
        Assert.Equal(Events, Interlocked.Read(ref handled));
        Assert.True(inOrder, "the group handled an event out of order or twice");
        Assert.True(waited > 0, "the writer never waited");
    }

    [Fact]
    public async Task PublishAsync_JournalFailsWhileTheWriterWaits_ThrowsTheJournalFault()
    {
        // The partition's directory disappears, so the journaller cannot create its next segment and stops: the ring's
        // only gate is gone and will never drain. An async writer waiting on it must be told, not left pending.
        using var directory = new TempDirectory();
        var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "orders",
            Capacity = 16,
            Durability = new DurabilityOptions { Directory = directory.Path, SegmentBytes = 4096 },
        });
        try
        {
            Directory.Delete(Path.Combine(directory.Path, "orders", "0"), recursive: true);
            Task publishing = Task.Run(async () =>
            {
                for (int i = 0; i < 100_000; i++)
                {
                    await topic.PublishToAsync(0, new TestEvent(i));
                }
            });

            var error = await Assert.ThrowsAsync<JournalException>(() => publishing.WaitAsync(Hang));
            Assert.NotNull(topic.JournalFault);
            Assert.Contains("journal failed", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                topic.Dispose();
            }
            catch (IOException)
            {
                // A failed journal's close may throw (DurableTopicReviewTests covers it).
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModesAndWaits))]
    public async Task PublishAsync_CancelledWhileWaiting_NothingClaimedAndTheNextPublishTakesTheOffset(PublishMode mode, string wait)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, wait, capacity: 2);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        partition.Publish(new TestEvent(0));
        partition.Publish(new TestEvent(1));
        using var cancellation = new CancellationTokenSource();

        ValueTask<long> pending = partition.PublishAsync(new TestEvent(99), cancellation.Token);
        Assert.False(pending.IsCompleted);
        cancellation.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(2, partition.EndOffset);
        Assert.True(reader.TryRead(out _, out _));
        reader.Commit();
        Assert.Equal(2, await partition.PublishAsync(new TestEvent(2)));
        Assert.True(reader.TryRead(out _, out _));
        Assert.True(reader.TryRead(out TestEvent next, out long offset));
        Assert.Equal((2L, 2L), (next.Value, offset));
    }

    [Fact]
    public async Task PublishAsync_UngatedMultiWriterSlotStillBeingFilled_WaitsForThatWritersPublish()
    {
        // No reader: a multi-writer claim of offset 2 needs its slot's previous occupant, offset 0, published; another
        // writer holds that claim open. Its publish (not a reader) is what wakes the async writer.
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "blocking", capacity: 2);
        Partition<TestEvent> partition = topic[0];
        Assert.True(partition.TryClaim(out EventClaim<TestEvent> held));
        partition.Publish(new TestEvent(1));

        ValueTask<long> pending = partition.PublishAsync(new TestEvent(2));
        // No await while the claim (a ref struct) is held.
        Thread.Sleep(50);
        Assert.False(pending.IsCompleted);

        held.Event = new TestEvent(0);
        held.Publish();

        Assert.Equal(2, await pending.AsTask().WaitAsync(Hang));
        Assert.Equal(3, partition.EndOffset);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PublishAsync_TopicCompletedOrDisposedWhileWaiting_ThrowsAndPublishesNothing(bool dispose)
    {
        Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "blocking", capacity: 2);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        partition.Publish(new TestEvent(0));
        partition.Publish(new TestEvent(1));

        ValueTask<long> pending = partition.PublishAsync(new TestEvent(2));
        Assert.False(pending.IsCompleted);
        if (dispose)
        {
            topic.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Hang));
        }
        else
        {
            topic.Complete();
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending.AsTask().WaitAsync(Hang));
        }

        Assert.Equal(2, partition.EndOffset);
        topic.Dispose();
    }

    [Fact]
    public async Task WaitToPublishAsync_TopicDisposedWhileWaiting_CompletesFalse()
    {
        Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter, "blocking", capacity: 2);
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        partition.Publish(new TestEvent(0));
        partition.Publish(new TestEvent(1));

        ValueTask<bool> waiting = partition.WaitToPublishAsync();
        Assert.False(waiting.IsCompleted);
        topic.Dispose();

        Assert.False(await waiting.AsTask().WaitAsync(Hang));
    }

    private static Topic<TestEvent> CreateTopic(PublishMode mode, string wait, int capacity) =>
        new(new TopicOptions
        {
            Name = "async-publish",
            Capacity = capacity,
            PublishMode = mode,
            WaitStrategy = wait switch
            {
                "blocking" => WaitStrategy.Blocking,
                "yielding" => WaitStrategy.Yielding,
                _ => WaitStrategy.BusySpin,
            },
        });
}
