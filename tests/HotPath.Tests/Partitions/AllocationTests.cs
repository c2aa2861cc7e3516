using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Partitions;

public class AllocationTests
{
    private const int Events = 1_000_000;

    [Theory]
    [InlineData(PublishMode.SingleWriter, "blocking")]
    [InlineData(PublishMode.SingleWriter, "yielding")]
    [InlineData(PublishMode.MultiWriter, "blocking")]
    [InlineData(PublishMode.MultiWriter, "yielding")]
    public void Publish_MillionEventsWhileReaderDrains_AllocatesNothingOnPublishingThread(PublishMode mode, string strategy)
    {
        var wait = strategy == "blocking" ? WaitStrategy.Blocking : WaitStrategy.Yielding;
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "alloc",
            Capacity = 1024,
            PublishMode = mode,
            WaitStrategy = wait,
        });
        using var reader = topic.CreateReader(0);
        long target = Events + 10_000;
        long readerAllocated = -1;
        var handlerResult = new SumHandler();
        var drain = new Thread(() =>
        {
            var handler = new SumHandler();
            int idle = 0;
            // Start late, so that the writer's warm-up below meets a full ring and parks once: the runtime
            // allocates a thread's wait state lazily on its first wait, which is not a per-event cost.
            Thread.Sleep(100);
            reader.Poll(ref handler); // warm-up of the reader's own path
            long before = GC.GetAllocatedBytesForCurrentThread();
            while (handler.Count < target)
            {
                if (reader.Poll(ref handler, maxEvents: 512) == 0)
                {
                    WaitStrategy.Yielding.Idle(ref idle);
                }
                else
                {
                    idle = 0;
                }
            }

            readerAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
            handlerResult = handler;
        });
        drain.Start();
        var partition = topic[0];
        for (int i = 0; i < 10_000; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Events; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(drain.Join(TimeSpan.FromMinutes(1)), "reader drained everything");

        Assert.Equal(0, allocated);
        Assert.Equal(0, readerAllocated);
        Assert.Equal(target, handlerResult.Count);
    }
}
