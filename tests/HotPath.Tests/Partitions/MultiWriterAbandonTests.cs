using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// Several writers claim, sometimes hold a claim while yielding the core, and sometimes abandon it, first with no
/// lossless reader (only a lossy group), then with a lossless group that joins late. Every offset the late group can
/// reach is handled exactly once with the event its writer published, or is an abandoned claim; no group ever
/// handles an abandoned slot or an event under another offset.
/// </summary>
public class MultiWriterAbandonTests
{
    private const int Writers = 3;
    private const int ClaimsPerWriter = 20_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private sealed class Collector : IEventHandler<TestEvent>
    {
        public ConcurrentQueue<(long Offset, long Value)> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) =>
            Seen.Enqueue((offset, @event.Value));
    }

    private sealed class WriterLog
    {
        public List<(long Offset, long Value)> Published { get; } = [];

        public List<long> Abandoned { get; } = [];
    }

    [Fact]
    public void Claim_WritersAbandonAndHoldClaimsThenLosslessGroupJoinsLate_EveryReachableOffsetHandledOrAGap()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "mix", Capacity = 64, PublishMode = PublishMode.MultiWriter });
        Partition<TestEvent> partition = topic[0];
        using var lossy = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "lossy", Lossy = true, MaxBatchSize = 16 });
        var lossyHandler = new Collector();
        lossy.Join(lossyHandler);

        var logs = new WriterLog[Writers];
        var errors = new ConcurrentQueue<Exception>();
        var threads = new Thread[Writers];
        for (int w = 0; w < Writers; w++)
        {
            var log = logs[w] = new WriterLog();
            int writer = w;
            threads[w] = new Thread(() =>
            {
                try
                {
                    var random = new Random(1234 + writer);
                    for (int i = 0; i < ClaimsPerWriter; i++)
                    {
                        long value = (writer + 1) * 1_000_000L + i;
                        var claim = partition.Claim();
                        if (random.Next(16) == 0)
                        {
                            // Preempted between claim and publish: the others may fill the rest of the ring meanwhile.
                            Thread.Yield();
                        }

                        claim.Event = new TestEvent(value, writer);
                        if (random.Next(8) == 0)
                        {
                            log.Abandoned.Add(claim.Offset);
                            claim.Dispose();
                        }
                        else
                        {
                            log.Published.Add((claim.Offset, value));
                            claim.Publish();
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            });
            threads[w].Start();
        }

        // The late group: created once the writers have lapped the ring many times without a lossless reader.
        Assert.True(SpinWait.SpinUntil(() => partition.EndOffset >= 10_000 || errors.Count != 0, Timeout), "writers lapped the ring");
        using var late = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "late", MaxBatchSize = 16 });
        long start = late.GetCommittedOffset("mix", 0);
        var lateHandler = new Collector();
        late.Join(lateHandler);

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(Timeout), "writer finished");
        }

        Assert.Empty(errors);
        long end = partition.EndOffset;
        Assert.Equal((long)Writers * ClaimsPerWriter, end);
        Assert.True(SpinWait.SpinUntil(() => late.GetCommittedOffset("mix", 0) == end, Timeout), $"late group committed {late.GetCommittedOffset("mix", 0)} of {end}");

        var published = logs.SelectMany(l => l.Published).ToDictionary(p => p.Offset, p => p.Value);
        var abandoned = logs.SelectMany(l => l.Abandoned).ToHashSet();
        Assert.Equal(end, published.Count + abandoned.Count);

        // Late lossless group: [start, end) exactly, in order, each offset handled once or abandoned.
        var handled = lateHandler.Seen.ToArray();
        var expected = Enumerable.Range((int)start, (int)(end - start)).Select(o => (long)o).Where(o => !abandoned.Contains(o));
        Assert.Equal(expected, handled.Select(h => h.Offset));
        Assert.All(handled, h => Assert.Equal(published[h.Offset], h.Value));

        // Lossy group: whatever it handled is a published event at its own offset, in offset order.
        var lossySeen = lossyHandler.Seen.ToArray();
        Assert.All(lossySeen, h => Assert.True(published.TryGetValue(h.Offset, out long value) && value == h.Value, $"lossy offset {h.Offset} value {h.Value}"));
        Assert.True(lossySeen.Zip(lossySeen.Skip(1)).All(p => p.First.Offset < p.Second.Offset), "lossy offsets increase");
    }
}
