using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Demo;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Tests.Demo;

public sealed class OrderPublisherTests
{
    [Fact]
    public async Task Run_ReaderPausesWhileTheRingIsFull_CountsThePauseAsAStall()
    {
        using var topic = new Topic<OrderEvent>(new TopicOptions { Name = "orders", PartitionCount = 1, Capacity = 64, PublishMode = PublishMode.SingleWriter });
        var pause = new PausingHandler(atOffset: 100, TimeSpan.FromMilliseconds(400));
        using var group = new ConsumerGroup<OrderEvent>(topic, new ConsumerGroupOptions { GroupId = "slow", SessionTimeout = TimeSpan.FromSeconds(10), MaxPollInterval = TimeSpan.FromSeconds(10) });
        group.Join(pause);
        var generator = new OrderGenerator(300);
        var publisher = new OrderPublisher(topic, generator, double.PositiveInfinity, cap: null);

        await Task.Run(publisher.Run).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(generator.PlannedEvents, publisher.Published);
        Assert.True(pause.Paused, "the handler never reached its pause");
        // The writer filled the 64 slots behind the paused reader and waited for it: one run of 64 events took the pause.
        Assert.InRange(publisher.Stalled, TimeSpan.FromMilliseconds(300), publisher.Elapsed);
    }

    /// <summary>Sleeps once, at one offset, inside the handler: the member stops committing meanwhile.</summary>
    private sealed class PausingHandler(long atOffset, TimeSpan pause) : IEventHandler<OrderEvent>
    {
        private int _paused;

        public bool Paused => Volatile.Read(ref _paused) != 0;

        public void OnEvent(ref readonly OrderEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (offset == atOffset && Interlocked.Exchange(ref _paused, 1) == 0)
            {
                Thread.Sleep(pause);
            }
        }
    }
}
