using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// The multi-writer partition's writer bias (Partition.Bias.cs): the first publishing thread claims without a CAS until a
/// second thread publishes, which revokes the bias for good. Offsets, order and slot ownership hold across the revocation.
/// </summary>
public class WriterBiasTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> MultiWriterTopic(int capacity) =>
        new(new TopicOptions { Name = "bias", Capacity = capacity, PublishMode = PublishMode.MultiWriter });

    /// <summary>
    /// Starts a background thread that runs <paramref name="publish"/> and hands an exception it throws to
    /// <paramref name="failed"/>.
    /// </summary>
    private static Thread StartWriter(Action publish, Action<Exception> failed)
    {
        var thread = new Thread(() =>
        {
            try
            {
                publish();
            }
            catch (Exception ex)
            {
                failed(ex);
            }
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// A multi-writer topic whose partition's bias this thread owns (it published offset 0) and whose owner is held inside
    /// its claim section by the test hook until <see cref="Leave"/> (or disposal), as if preempted there.
    /// </summary>
    private sealed class OwnerInsideItsSection : IDisposable
    {
        public OwnerInsideItsSection()
        {
            Topic = MultiWriterTopic(16);
            Reader = Topic.CreateReader(0);
            Assert.Equal(0, Topic[0].Publish(new TestEvent(0, writer: 0)));
            Topic[0].HoldOwnerSection(held: true);
        }

        public Topic<TestEvent> Topic { get; }

        public PartitionReader<TestEvent> Reader { get; }

        /// <summary>The owner leaves its section.</summary>
        public void Leave() => Topic[0].HoldOwnerSection(held: false);

        /// <summary>Waits until another writer has started revoking the bias.</summary>
        public void WaitUntilRevoking(string failure)
        {
            DateTime until = DateTime.UtcNow + Timeout;
            while (Topic[0].IsWriterBiased && DateTime.UtcNow < until)
            {
                Thread.Sleep(1);
            }

            Assert.False(Topic[0].IsWriterBiased, failure);
        }

        public void Dispose()
        {
            Leave();
            Reader.Dispose();
            Topic.Dispose();
        }
    }

    /// <summary>Reads the next <paramref name="count"/> events, in offset order.</summary>
    private static List<(long Offset, TestEvent Event)> ReadAll(PartitionReader<TestEvent> reader, long count)
    {
        var recorder = new Recorder();
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (recorder.Seen.Count < count)
        {
            if (reader.Poll(ref recorder) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"read {recorder.Seen.Count} of {count} events before the time-out");
                Thread.Yield();
            }
        }

        return recorder.Seen;
    }

    [Fact]
    public void Publish_OneThread_TheThreadHoldsTheBias()
    {
        using Topic<TestEvent> topic = MultiWriterTopic(16);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Assert.False(topic[0].IsWriterBiased);

        for (long i = 0; i < 40; i++)
        {
            Assert.Equal(i, topic[0].Publish(new TestEvent(i)));
            if (i % 8 == 7)
            {
                Assert.Equal(i - 7, ReadAll(reader, 8)[0].Offset);
            }
        }

        Assert.True(topic[0].IsWriterBiased);
        Assert.Equal(40, topic[0].EndOffset);
    }

    [Fact]
    public void Publish_SecondThread_RevokesTheBiasAndOffsetsContinueFromTheOwnersLastClaim()
    {
        using Topic<TestEvent> topic = MultiWriterTopic(16);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        for (long i = 0; i < 5; i++)
        {
            topic[0].Publish(new TestEvent(i, writer: 0));
        }

        long offsetOfSecond = -1;
        var second = new Thread(() => offsetOfSecond = topic[0].Publish(new TestEvent(5, writer: 1)));
        second.Start();
        Assert.True(second.Join(Timeout));

        Assert.Equal(5, offsetOfSecond);
        Assert.False(topic[0].IsWriterBiased);
        Assert.Equal(6, topic[0].Publish(new TestEvent(6, writer: 0)));
        List<(long Offset, TestEvent Event)> seen = ReadAll(reader, 7);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), seen.Select(s => s.Offset));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), seen.Select(s => s.Event.Value));
        Assert.Equal(5, seen.Single(s => s.Event.Writer == 1).Offset);
    }

    /// <summary>
    /// The owner (a thread that claimed first) parks on a full ring; a second thread's time-limited publish must revoke the
    /// bias and then time out on the ring: if the revocation waited for the owner's wait, it would hang past its time-out.
    /// </summary>
    [Fact]
    public void TryPublish_WhileTheOwnerIsParkedOnAFullRing_RevokesAndTimesOut()
    {
        using Topic<TestEvent> topic = MultiWriterTopic(4);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        using var filled = new ManualResetEventSlim();
        long ownerLast = -1;
        var owner = new Thread(() =>
        {
            for (long i = 0; i < 4; i++)
            {
                topic[0].Publish(new TestEvent(i, writer: 0));
            }

            filled.Set();
            // Parks: the ring is full and the reader does not read yet.
            ownerLast = topic[0].Publish(new TestEvent(4, writer: 0));
        });
        owner.Start();
        Assert.True(filled.Wait(Timeout));
        Assert.True(topic[0].IsWriterBiased);
        Thread.Sleep(20);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(topic[0].TryPublish(new TestEvent(5, writer: 1), TimeSpan.FromMilliseconds(50), out long refused));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the time-limited publish took {watch.Elapsed}");
        Assert.Equal(-1, refused);
        Assert.False(topic[0].IsWriterBiased);

        List<(long Offset, TestEvent Event)> seen = ReadAll(reader, 4);
        Assert.True(owner.Join(Timeout));
        Assert.Equal(4, ownerLast);
        Assert.Equal(5, topic[0].Publish(new TestEvent(5, writer: 1)));
        seen.AddRange(ReadAll(reader, 2));
        Assert.Equal([0L, 1, 2, 3, 4, 5], seen.Select(s => s.Offset));
        Assert.Equal([0L, 1, 2, 3, 4, 5], seen.Select(s => s.Event.Value));
    }

    /// <summary>
    /// The owner is preempted inside its claim section (stood in for by the test hook) while a second thread with a
    /// pending <see cref="Thread.Interrupt"/> publishes with a time-out: its revocation must neither throw
    /// <see cref="ThreadInterruptedException"/> from its wait nor leave the partition half revoked (every later claim would
    /// spin forever); at its time-out it gives the bias back, and the owner goes on.
    /// </summary>
    [Fact]
    public void TryPublish_RevokerInterruptedWhileTheOwnerIsInsideItsSection_TimesOutAndTheOwnerGoesOn()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;
        PartitionReader<TestEvent> reader = owner.Reader;

        Exception? error = null;
        bool published = true;
        var revoker = StartWriter(
            () =>
            {
                Thread.CurrentThread.Interrupt();
                published = topic[0].TryPublish(new TestEvent(1, writer: 1), TimeSpan.FromMilliseconds(200), out _);
            },
            ex => error = ex);
        Assert.True(revoker.Join(Timeout), "the revoking TryPublish did not return");
        Assert.Null(error);
        Assert.False(published);
        Assert.True(topic[0].IsWriterBiased, "a revocation that gave up hands the bias back to its owner");

        owner.Leave();
        // The owner (this thread) goes on: with the partition left half revoked this claim would spin forever.
        long ownerOffset = -1;
        Assert.True(topic[0].TryPublish(new TestEvent(1, writer: 0), TimeSpan.FromSeconds(5), out ownerOffset));
        Assert.Equal(1, ownerOffset);
        Assert.Equal([0L, 1], ReadAll(reader, 2).Select(s => s.Offset));
    }

    /// <summary>
    /// A second writer waits in its revocation for an owner preempted inside its section (the test hook) when the topic is
    /// disposed: it is released with <see cref="ObjectDisposedException"/>, as writers waiting on a full ring are.
    /// </summary>
    [Fact]
    public void Publish_RevokerWaitingForTheOwnersSection_TopicDisposed_ThrowsObjectDisposed()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;

        Exception? error = null;
        var revoker = StartWriter(() => topic[0].Publish(new TestEvent(1, writer: 1)), ex => error = ex);
        Thread.Sleep(50);
        topic.Dispose();
        bool returned = revoker.Join(TimeSpan.FromSeconds(10));
        owner.Leave();
        Assert.True(returned, "the revoking Publish was not released by Dispose");
        Assert.IsType<ObjectDisposedException>(error);
    }

    /// <summary>
    /// A second writer's revocation waits for the owner's section (held by the test hook) and its cancellation token is
    /// cancelled: the publish throws <see cref="OperationCanceledException"/>, publishes nothing, and hands the bias back
    /// to its owner (not left half revoked, not shared), whose next claims still need no CAS.
    /// </summary>
    [Fact]
    public void Publish_RevokerCancelledWhileTheOwnerIsInsideItsSection_ThrowsAndHandsTheBiasBack()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;
        PartitionReader<TestEvent> reader = owner.Reader;

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Exception? error = null;
        var revoker = StartWriter(() => topic[0].Publish(new TestEvent(1, writer: 1), cancellation.Token), ex => error = ex);
        bool returned = revoker.Join(Timeout);
        owner.Leave();
        Assert.True(returned, "the cancelled revocation did not return");
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.True(topic[0].IsWriterBiased, "a cancelled revocation hands the bias back to its owner");

        Assert.Equal(1, topic[0].Publish(new TestEvent(1, writer: 0)));
        Assert.True(topic[0].IsWriterBiased, "the owner still holds the bias after its next claim");
        // The cancelled publish took no offset: both events are the owner's.
        Assert.Equal([(0L, 0L, 0), (1L, 1L, 0)], ReadAll(reader, 2).Select(s => (s.Offset, s.Event.Value, s.Event.Writer)));
    }

    /// <summary>
    /// While a second writer's revocation waits for the owner's section (held by the test hook), a third writer publishes
    /// with a time-out: it finds the revocation under way, waits at most its time-out and takes no offset. The revoker,
    /// which publishes without a time-out, keeps waiting meanwhile (no time-out is not a time-out of zero), and once the
    /// owner leaves its section it takes the next offset and the partition is shared.
    /// </summary>
    [Fact]
    public void TryPublish_ThirdWriterWhileARevocationWaits_TimesOutAndTakesNoOffset()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;
        PartitionReader<TestEvent> reader = owner.Reader;

        long revokerOffset = -1;
        Exception? revokerError = null;
        var revoker = StartWriter(() => revokerOffset = topic[0].Publish(new TestEvent(1, writer: 1)), ex => revokerError = ex);
        owner.WaitUntilRevoking("the second writer did not start revoking the bias");

        bool thirdPublished = true;
        long thirdOffset = 0;
        Exception? thirdError = null;
        var third = StartWriter(
            () => thirdPublished = topic[0].TryPublish(new TestEvent(1, writer: 2), TimeSpan.FromMilliseconds(100), out thirdOffset),
            ex => thirdError = ex);
        Assert.True(third.Join(Timeout), "the third writer's time-limited publish did not return");
        Assert.Null(thirdError);
        Assert.False(thirdPublished);
        Assert.Equal(-1, thirdOffset);
        Assert.True(revoker.IsAlive, "the revoker publishes without a time-out: it must still be waiting for the owner");

        owner.Leave();
        Assert.True(revoker.Join(Timeout), "the revoker did not finish once the owner left its section");
        Assert.Null(revokerError);
        Assert.Equal(1, revokerOffset);
        Assert.False(topic[0].IsWriterBiased);
        Assert.Equal(2, topic[0].Publish(new TestEvent(2, writer: 0)));
        Assert.Equal([(0L, 0), (1L, 1), (2L, 0)], ReadAll(reader, 3).Select(s => (s.Offset, s.Event.Writer)));
    }

    /// <summary>
    /// Two writers revoke in turn while the owner is inside its claim section (the test hook), each with a time-out, and
    /// both give up: the second waits while the first revokes, then revokes itself once the first handed the bias back,
    /// and hands it back in turn. The owner keeps the bias and goes on; neither revoker took an offset.
    /// </summary>
    [Fact]
    public void TryPublish_TwoRevokersGiveUpInTurn_TheOwnerKeepsTheBias()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;
        PartitionReader<TestEvent> reader = owner.Reader;

        bool firstPublished = true;
        bool secondPublished = true;
        Exception? firstError = null;
        Exception? secondError = null;
        var first = StartWriter(
            () => firstPublished = topic[0].TryPublish(new TestEvent(1, writer: 1), TimeSpan.FromMilliseconds(200), out _),
            ex => firstError = ex);
        owner.WaitUntilRevoking("the first writer did not start revoking the bias");
        var second = StartWriter(
            () => secondPublished = topic[0].TryPublish(new TestEvent(1, writer: 2), TimeSpan.FromMilliseconds(600), out _),
            ex => secondError = ex);
        bool firstReturned = first.Join(Timeout);
        bool secondReturned = second.Join(Timeout);
        owner.Leave();
        Assert.True(firstReturned && secondReturned, "a revoker did not return at its time-out");
        Assert.Null(firstError);
        Assert.Null(secondError);
        Assert.False(firstPublished);
        Assert.False(secondPublished);
        Assert.True(topic[0].IsWriterBiased, "the bias went back to its owner after both revocations gave up");

        Assert.True(topic[0].TryPublish(new TestEvent(1, writer: 0), TimeSpan.FromSeconds(5), out long ownerOffset));
        Assert.Equal(1, ownerOffset);
        Assert.True(topic[0].IsWriterBiased);
        Assert.Equal([(0L, 0), (1L, 0)], ReadAll(reader, 2).Select(s => (s.Offset, s.Event.Writer)));
    }

    /// <summary>
    /// A second writer's <c>TryPublish</c> with a zero time-out while the owner is inside its claim section (the test hook):
    /// a zero time-out means "do not wait for room", not "do not revoke": the revocation waits for the owner's few
    /// instructions (here, until the hook lets go) and the event is published at the next offset.
    /// </summary>
    [Fact]
    public void TryPublish_ZeroTimeOutWhileTheOwnerIsInsideItsSection_WaitsForTheSectionAndPublishes()
    {
        using var owner = new OwnerInsideItsSection();
        Topic<TestEvent> topic = owner.Topic;
        PartitionReader<TestEvent> reader = owner.Reader;

        bool published = false;
        long offset = -1;
        var revoker = new Thread(() => published = topic[0].TryPublish(new TestEvent(1, writer: 1), TimeSpan.Zero, out offset)) { IsBackground = true };
        revoker.Start();
        bool returnedWhileHeld = revoker.Join(TimeSpan.FromMilliseconds(200));
        owner.Leave();
        Assert.False(returnedWhileHeld, "the revocation gave up instead of waiting for the owner's section");
        Assert.True(revoker.Join(Timeout));
        Assert.True(published);
        Assert.Equal(1, offset);
        Assert.False(topic[0].IsWriterBiased);
        Assert.Equal([(0L, 0), (1L, 1)], ReadAll(reader, 2).Select(s => (s.Offset, s.Event.Writer)));
    }

    /// <summary>
    /// A second writer arrives while the owner publishes flat out on a small gated ring, many times over, at varied moments:
    /// every event once, each writer's events in its order, offsets contiguous (no offset claimed twice, none skipped).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Publish_SecondWriterArrivesWhileTheOwnerPublishes_EveryEventOnceInEachWritersOrder(bool batches)
    {
        const int Rounds = 60;
        const int PerWriter = 20_000;
        var random = new Random(14);
        for (int round = 0; round < Rounds; round++)
        {
            using Topic<TestEvent> topic = MultiWriterTopic(64);
            using PartitionReader<TestEvent> reader = topic.CreateReader(0);
            int delaySpins = random.Next(0, 20_000);
            Thread[] writers = [.. Enumerable.Range(0, 2).Select(w => new Thread(() =>
            {
                if (w == 1)
                {
                    Thread.SpinWait(delaySpins);
                }

                Span<TestEvent> batch = stackalloc TestEvent[4];
                for (long i = 0; i < PerWriter;)
                {
                    if (batches && i + 4 <= PerWriter)
                    {
                        for (int k = 0; k < 4; k++)
                        {
                            batch[k] = new TestEvent(i + k, w);
                        }

                        topic[0].PublishBatch(batch);
                        i += 4;
                    }
                    else
                    {
                        topic[0].Publish(new TestEvent(i, w));
                        i++;
                    }
                }
            }))];
            foreach (Thread writer in writers)
            {
                writer.Start();
            }

            List<(long Offset, TestEvent Event)> seen = ReadAll(reader, 2 * PerWriter);
            foreach (Thread writer in writers)
            {
                Assert.True(writer.Join(Timeout));
            }

            long[] next = new long[2];
            for (int i = 0; i < seen.Count; i++)
            {
                (long offset, TestEvent e) = seen[i];
                Assert.True(offset == i, $"round {round}: offset {offset} at position {i}");
                Assert.True(e.Value == next[e.Writer], $"round {round}: writer {e.Writer}'s event {e.Value} at offset {offset}, expected {next[e.Writer]}");
                next[e.Writer]++;
            }

            Assert.Equal([(long)PerWriter, PerWriter], next);
            Assert.Equal(2 * PerWriter, topic[0].EndOffset);
        }
    }

    private struct Recorder() : IEventHandler<TestEvent>
    {
        public List<(long Offset, TestEvent Event)> Seen = [];

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) => Seen.Add((offset, @event));
    }
}
