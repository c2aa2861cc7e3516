using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Stress;

/// <summary>
/// The multi-writer bias revoked at random moments, over and over: each round a new multi-writer partition (the bias is
/// revoked once per partition), a first writer that takes the bias and publishes flat out, and one to three more writers
/// that start after random delays and publish, publish batches, and claim and abandon (gaps), on a small ring gated by a
/// lossless reader. Checks per round: offsets contiguous, every event exactly once, each writer's events in its own
/// order, exactly the abandoned offsets skipped, the end offset the number of offsets claimed, the bias revoked (the
/// writers stay alive until all have published).
/// Runs about 5 s by default (CI); set HOTPATH_STRESS_SECONDS for a longer run.
/// </summary>
public class WriterBiasStressTests(ITestOutputHelper output)
{
    private const int MaxWriters = 4;

    [Fact]
    public void RevokeAtRandomMoments_ManyPartitions_EveryEventOnceInEachWritersOrder()
    {
        output.WriteLine(StressRounds.Run(defaultSeconds: 5, seed: 1414, RunRound));
    }

    private static long RunRound(int seed, int round)
    {
        var random = new Random(seed);
        int capacity = 1 << random.Next(2, 9);
        int writers = random.Next(2, MaxWriters + 1);
        int perWriter = random.Next(1, 5_000);
        int[] delays = [.. Enumerable.Range(0, writers).Select(w => w == 0 ? 0 : random.Next(0, 50_000))];
        int[] seeds = [.. Enumerable.Range(0, writers).Select(_ => random.Next())];
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "bias-stress", Capacity = capacity, PublishMode = PublishMode.MultiWriter });
        Partition<TestEvent> partition = topic[0];
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        long[] abandoned = new long[writers];
        Exception? failure = null;
        // Every writer lives until all have published: the writers are distinct live threads, so the bias must be revoked
        // (a writer that ended may leave its stack, and the bias, to a writer started after it: see Partition.Bias.cs).
        using var published = new CountdownEvent(writers);
        Thread[] threads = [.. Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            try
            {
                Thread.SpinWait(delays[w]);
                abandoned[w] = Write(partition, w, perWriter, new Random(seeds[w]));
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                published.Signal();
                published.Wait();
            }
        }) { IsBackground = true })];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        var handler = new OrderCheck(writers);
        long totalEvents = (long)writers * perWriter;
        var deadline = Stopwatch.StartNew();
        while (handler.Count < totalEvents)
        {
            Assert.True(failure is null, $"round {round} (seed {seed}): a writer failed: {failure}");
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"round {round} (seed {seed}): {handler.Count} of {totalEvents} events read in 60 s");
            if (reader.Poll(ref handler, maxEvents: 64) == 0)
            {
                Thread.Yield();
            }
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), $"round {round}: a writer did not finish");
        }

        Assert.True(failure is null, $"round {round} (seed {seed}): a writer failed: {failure}");
        Assert.True(handler.Error is null, $"round {round} (seed {seed}, capacity {capacity}, {writers} writers): {handler.Error}");
        long claimed = totalEvents + abandoned.Sum();
        Assert.True(partition.EndOffset == claimed, $"round {round} (seed {seed}): end offset {partition.EndOffset}, {claimed} offsets claimed");
        // Every offset below the end was handed out or was a gap: the reader passes all of them (gaps at the end too).
        while (reader.Position < claimed && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            reader.Poll(ref handler);
        }

        Assert.True(handler.Count == totalEvents, $"round {round} (seed {seed}): {handler.Count} events handed out, {totalEvents} published");
        Assert.True(reader.Position == claimed, $"round {round} (seed {seed}): reader at {reader.Position}, {claimed} offsets claimed");
        Assert.False(partition.IsWriterBiased, $"round {round}: {writers} writers published, the bias must be revoked");
        return totalEvents;
    }

    /// <summary>Publishes <paramref name="count"/> events of writer <paramref name="writer"/> in order; returns how many offsets it abandoned.</summary>
    private static long Write(Partition<TestEvent> partition, int writer, int count, Random random)
    {
        long abandoned = 0;
        Span<TestEvent> batch = stackalloc TestEvent[Math.Min(8, partition.Capacity)];
        for (long next = 0; next < count;)
        {
            switch (random.Next(8))
            {
                case 0 when next + batch.Length <= count:
                    for (int k = 0; k < batch.Length; k++)
                    {
                        batch[k] = new TestEvent(next + k, writer);
                    }

                    partition.PublishBatch(batch);
                    next += batch.Length;
                    break;
                case 1:
                    using (EventClaim<TestEvent> claim = partition.Claim())
                    {
                        // Half filled, then dropped: a gap every reader skips.
                        claim.Event.Value = -1;
                        abandoned++;
                    }

                    break;
                case 2:
                    using (EventClaim<TestEvent> claim = partition.Claim())
                    {
                        claim.Event = new TestEvent(next++, writer);
                        claim.Publish();
                    }

                    break;
                case 3:
                    while (!partition.TryPublish(new TestEvent(next, writer), TimeSpan.FromMilliseconds(1), out _))
                    {
                    }

                    next++;
                    break;
                default:
                    partition.Publish(new TestEvent(next++, writer));
                    break;
            }
        }

        return abandoned;
    }

    /// <summary>Checks that events arrive once each, in each writer's order, with offsets that only grow.</summary>
    private struct OrderCheck(int writers) : IEventHandler<TestEvent>
    {
        private readonly long[] _next = new long[writers];
        private long _lastOffset = -1;

        public long Count { get; private set; }

        public string? Error { get; private set; }

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (offset <= _lastOffset)
            {
                Error ??= $"offset {offset} after {_lastOffset}";
            }

            if ((uint)@event.Writer >= (uint)_next.Length)
            {
                Error ??= $"offset {offset}: an event of writer {@event.Writer}, value {@event.Value} (torn, or a gap handed out)";
            }
            else if (@event.Value != _next[@event.Writer])
            {
                Error ??= $"offset {offset}: writer {@event.Writer}'s event {@event.Value}, expected {_next[@event.Writer]}";
            }
            else
            {
                _next[@event.Writer]++;
            }

            _lastOffset = offset;
            Count++;
        }
    }
}
