using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

/// <summary>
/// A writer that waits (a full ring, or a slot whose previous occupant another writer is still filling) parks, and the
/// thread that frees its way must wake it. The park has a 200 ms backstop that hides a lost wake-up as a short delay;
/// these tests turn it off (<c>WriterParkBackstopMilliseconds</c> = infinite), so a lost wake-up hangs the writer and
/// the test fails after <see cref="Hang"/>. Each event that unblocks the writer gets its test: a reader's commit, the
/// reader leaving, the reader seeking forward, another writer's publish, and Dispose.
/// </summary>
public class WriterWakeUpTests
{
    /// <summary>Far above any real wake-up latency; reached only when a wake-up was lost.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    public static TheoryData<PublishMode, string> ModesAndWaits() => new()
    {
        { PublishMode.SingleWriter, "blocking" },
        { PublishMode.SingleWriter, "yielding" },
        { PublishMode.MultiWriter, "blocking" },
        { PublishMode.MultiWriter, "yielding" },
    };

    private static Topic<TestEvent> CreateTopic(PublishMode mode, string wait, int capacity = 2)
    {
        var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "wake-up",
            Capacity = capacity,
            PublishMode = mode,
            WaitStrategy = wait == "blocking" ? WaitStrategy.Blocking : WaitStrategy.Yielding,
        });
        topic[0].WriterParkBackstopMilliseconds = Timeout.Infinite;
        return topic;
    }

    /// <summary>
    /// Runs <paramref name="publish"/> on its own thread and returns once that thread waits: parked (a blocking
    /// strategy; seen as WaitSleepJoin) or, for strategies that never park, after a while of waiting.
    /// </summary>
    private static (Thread Thread, Func<long> Result) StartWaitingWriter(Func<long> publish, string wait)
    {
        long offset = long.MinValue;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                offset = publish();
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "waiting writer" };
        thread.Start();
        if (wait == "blocking")
        {
            DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (DateTime.UtcNow < until && (thread.ThreadState & ThreadState.WaitSleepJoin) == 0)
            {
                Thread.Sleep(1);
            }
        }
        else
        {
            Thread.Sleep(30);
        }

        Assert.True(thread.IsAlive, "the writer must wait: its way is not free yet");
        return (thread, () =>
        {
            Assert.True(thread.Join(Hang), "the waiting writer was never woken (a lost wake-up)");
            if (error is not null)
            {
                throw new InvalidOperationException("the writer failed", error);
            }

            return offset;
        });
    }

    private static PartitionReader<TestEvent> FullRing(Topic<TestEvent> topic)
    {
        PartitionReader<TestEvent> reader = topic.CreateReader(0);
        for (int i = 0; i < topic[0].Capacity; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        return reader;
    }

    public static TheoryData<PublishMode, string, string> ModesWaitsAndWaysToMakeRoom()
    {
        var data = new TheoryData<PublishMode, string, string>();
        foreach (object[] row in ModesAndWaits())
        {
            foreach (string how in new[] { "commit", "leave", "seek to the end" })
            {
                data.Add((PublishMode)row[0], (string)row[1], how);
            }
        }

        return data;
    }

    /// <summary>The only reader makes room for a parked writer: it commits an event, leaves, or seeks to the end.</summary>
    [Theory]
    [MemberData(nameof(ModesWaitsAndWaysToMakeRoom))]
    public void FullRing_TheReaderMakesRoom_ParkedWriterWakesAndPublishes(PublishMode mode, string wait, string how)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, wait);
        using PartitionReader<TestEvent> reader = FullRing(topic);
        var (_, result) = StartWaitingWriter(() => topic[0].Publish(new TestEvent(2)), wait);

        switch (how)
        {
            case "commit":
                Assert.True(reader.TryRead(out _, out long read));
                Assert.Equal(0, read);
                break;
            case "leave":
                reader.Dispose();
                break;
            default:
                reader.Seek(topic[0].EndOffset);
                break;
        }

        Assert.Equal(2, result());
        Assert.Equal(3, topic[0].EndOffset);
        if (how == "seek to the end")
        {
            Assert.True(reader.TryRead(out TestEvent @event, out long offset));
            Assert.Equal((2L, 2L), (offset, @event.Value));
        }
    }

    [Theory]
    [MemberData(nameof(ModesAndWaits))]
    public void FullRing_TopicDisposed_ParkedWriterThrowsObjectDisposedNamingTheTopic(PublishMode mode, string wait)
    {
        Topic<TestEvent> topic = CreateTopic(mode, wait);
        using PartitionReader<TestEvent> reader = FullRing(topic);
        var (_, result) = StartWaitingWriter(() => topic[0].Publish(new TestEvent(2)), wait);

        topic.Dispose();

        var error = Assert.Throws<InvalidOperationException>(() => result());
        var disposed = Assert.IsType<ObjectDisposedException>(error.InnerException);
        Assert.Contains("topic 'wake-up'", disposed.Message);
    }

    /// <summary>
    /// Ungated multi-writer: a claim of offset o + capacity waits until o, claimed by another writer, is published
    /// (slot ownership). That writer's publish must wake it.
    /// </summary>
    [Theory]
    [InlineData("blocking")]
    [InlineData("yielding")]
    public void MultiWriter_SlotsPreviousOccupantBeingFilled_ItsPublishWakesTheWaitingWriter(string wait)
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, wait, capacity: 4);
        EventClaim<TestEvent> first = topic[0].Claim();
        for (int i = 1; i < 4; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        var (_, result) = StartWaitingWriter(() => topic[0].Publish(new TestEvent(4)), wait);

        first.Event = new TestEvent(0);
        first.Publish();

        Assert.Equal(4, result());
        Assert.Equal(5, topic[0].EndOffset);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Assert.True(reader.TryRead(out TestEvent @event, out long offset));
        Assert.Equal((1L, 1L), (offset, @event.Value));
    }

    /// <summary>As above, but the writer that fills the previous occupant publishes at once, several times in a row,
    /// so that its publish also lands between the waiting writer's flag and its re-check.</summary>
    [Fact]
    public void MultiWriter_PreviousOccupantPublishedAroundThePark_WaitingWriterNeverHangs()
    {
        for (int round = 0; round < 200; round++)
        {
            using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "blocking", capacity: 2);
            EventClaim<TestEvent> first = topic[0].Claim();
            topic[0].Publish(new TestEvent(1));
            var waiting = Task.Run(() => topic[0].Publish(new TestEvent(2)));
            Thread.SpinWait(round * 50);
            first.Publish();
            Assert.True(waiting.Wait(Hang), $"round {round}: the waiting writer was never woken (a lost wake-up)");
            Assert.Equal(2, waiting.Result);
        }
    }

    public static TheoryData<PublishMode, bool> ModesAndWaitReasons() => new()
    {
        { PublishMode.SingleWriter, true },
        { PublishMode.MultiWriter, true },
        { PublishMode.MultiWriter, false },
    };

    /// <summary>
    /// Sets up a writer's wait: a full ring (<paramref name="fullRing"/>; returns its reader), or, multi-writer without
    /// readers, a slot whose previous occupant stays claimed (the claim is left open; returns null).
    /// </summary>
    private static IDisposable? Blocked(Topic<TestEvent> topic, bool fullRing)
    {
        if (fullRing)
        {
            return FullRing(topic);
        }

        Assert.Equal(0, topic[0].Claim().Offset);
        topic[0].Publish(new TestEvent(1));
        return null;
    }

    /// <summary>A parked writer's time-out is its own: it gives up at its deadline although nobody wakes it.</summary>
    [Theory]
    [MemberData(nameof(ModesAndWaitReasons))]
    public void ParkedWriter_TimeoutExpires_GivesUpWithoutAWakeUp(PublishMode mode, bool fullRing)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, "blocking");
        using IDisposable? blocked = Blocked(topic, fullRing);
        long end = topic[0].EndOffset;
        var (_, result) = StartWaitingWriter(() => topic[0].TryPublish(new TestEvent(9), TimeSpan.FromSeconds(2), out long offset) ? offset : -1, "blocking");

        Assert.Equal(-1, result());
        Assert.Equal(end, topic[0].EndOffset);
    }

    /// <summary>A parked writer's cancellation is its own: it throws at once although nobody wakes it.</summary>
    [Theory]
    [MemberData(nameof(ModesAndWaitReasons))]
    public void ParkedWriter_Cancelled_ThrowsWithoutAWakeUp(PublishMode mode, bool fullRing)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, "blocking");
        using IDisposable? blocked = Blocked(topic, fullRing);
        long end = topic[0].EndOffset;
        using var cancellation = new CancellationTokenSource();
        var (_, result) = StartWaitingWriter(() => topic[0].Publish(new TestEvent(9), cancellation.Token), "blocking");

        cancellation.Cancel();

        var error = Assert.Throws<InvalidOperationException>(() => result());
        Assert.IsType<OperationCanceledException>(error.InnerException);
        Assert.Equal(end, topic[0].EndOffset);
    }

    /// <summary>
    /// Multi-writer: a writer waits for a slot's previous occupant; meanwhile a lossless reader registers. The writer
    /// must claim again through the gated path and keep its own deadline there, not claim the slot its wait was for.
    /// </summary>
    [Fact]
    public void MultiWriter_ReaderRegistersWhileAWriterWaitsForAPreviousLap_WriterKeepsItsDeadline()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "yielding");
        Assert.Equal(0, topic[0].Claim().Offset);
        topic[0].Publish(new TestEvent(1));
        var (_, result) = StartWaitingWriter(() => topic[0].TryPublish(new TestEvent(2), TimeSpan.FromSeconds(2), out long offset) ? offset : -1, "yielding");

        using PartitionReader<TestEvent> reader = topic.CreateReader(0);

        Assert.Equal(-1, result());
        Assert.Equal(0, topic[0].EndOffset);
    }

    /// <summary>
    /// Multi-writer: a writer waits for a slot's previous occupant; that occupant is published and, before the waiting
    /// writer looks again, another writer claims and publishes the slot. The waiting writer must notice the cursor moved
    /// and claim the next offset, not wait for a previous lap that has passed.
    /// </summary>
    [Fact]
    public void MultiWriter_SlotTakenByAnotherWriterBeforeTheWaitingWriterLooksAgain_WaitingWriterClaimsTheNext()
    {
        for (int round = 0; round < 50; round++)
        {
            using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, "blocking");
            EventClaim<TestEvent> first = topic[0].Claim();
            topic[0].Publish(new TestEvent(1));
            var (_, result) = StartWaitingWriter(() => topic[0].Publish(new TestEvent(3)), "blocking");

            first.Publish();
            long mine = topic[0].Publish(new TestEvent(2));

            long theirs = result();
            Assert.Equal([2L, 3L], new[] { mine, theirs }.Order());
            Assert.Equal(4, topic[0].EndOffset);
        }
    }

    /// <summary>A time-out too long for the clock's arithmetic (TimeSpan.MaxValue) waits like Publish instead of giving up at once.</summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void FullRing_TryPublishWithTheLongestTimeout_WaitsUntilTheReaderMakesRoom(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, "blocking");
        using PartitionReader<TestEvent> reader = FullRing(topic);
        var (_, result) = StartWaitingWriter(() => topic[0].TryPublish(new TestEvent(2), TimeSpan.MaxValue, out long offset) ? offset : -1, "blocking");

        Assert.True(reader.TryRead(out _, out _));

        Assert.Equal(2, result());
    }

    public static TheoryData<PublishMode> Modes() => new() { PublishMode.SingleWriter, PublishMode.MultiWriter };
}
