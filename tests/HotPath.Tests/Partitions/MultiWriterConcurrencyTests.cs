using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

public class MultiWriterConcurrencyTests
{
    private const int Writers = 4;
    private const int EventsPerWriter = 750_000;

    /// <summary>Checks each writer's events arrive in the order that writer published them, exactly once.</summary>
    private struct PerWriterOrderHandler : IEventHandler<TestEvent>
    {
        public long[] NextPerWriter;
        public long Sum;
        public long Count;
        public long Violations;
        public long LastOffset;

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (@event.Value != NextPerWriter[@event.Writer] || offset != LastOffset + 1)
            {
                Violations++;
            }

            NextPerWriter[@event.Writer] = @event.Value + 1;
            LastOffset = offset;
            Sum += @event.Value;
            Count++;
        }
    }

    [Theory]
    [InlineData("blocking")]
    [InlineData("yielding")]
    public void Publish_SeveralWritersOneReader_EveryEventExactlyOnceInPerWriterOrder(string strategy)
    {
        var wait = strategy == "blocking" ? WaitStrategy.Blocking : WaitStrategy.Yielding;
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "mw",
            Capacity = 1024,
            PublishMode = PublishMode.MultiWriter,
            WaitStrategy = wait,
        });
        using var reader = topic.CreateReader(0);
        var writers = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            for (long i = 0; i < EventsPerWriter; i++)
            {
                topic[0].Publish(new TestEvent(i, w));
            }
        })).ToArray();
        foreach (var thread in writers)
        {
            thread.Start();
        }

        var handler = new PerWriterOrderHandler { NextPerWriter = new long[Writers], LastOffset = -1 };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        int idle = 0;
        while (handler.Count < (long)Writers * EventsPerWriter && DateTime.UtcNow < deadline)
        {
            if (reader.Poll(ref handler, maxEvents: 256) == 0)
            {
                wait.Idle(ref idle);
                if (idle > 64)
                {
                    Thread.Sleep(0);
                }
            }
            else
            {
                idle = 0;
            }
        }

        foreach (var thread in writers)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "writer finished");
        }

        long n = EventsPerWriter;
        Assert.Equal(0, handler.Violations);
        Assert.Equal((long)Writers * n, handler.Count);
        Assert.Equal(Writers * (n * (n - 1) / 2), handler.Sum);
        Assert.All(handler.NextPerWriter, next => Assert.Equal(n, next));
        Assert.False(reader.TryRead(out _, out _), "nothing beyond what was published");
    }
}
