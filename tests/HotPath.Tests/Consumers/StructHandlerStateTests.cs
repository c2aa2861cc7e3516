using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Pins what the handler interfaces document: a struct handler is copied into its member, so state in its own fields
/// is the member's and never shows in the caller's copy; state behind a reference is shared.
/// </summary>
public sealed class StructHandlerStateTests
{
    [Fact]
    public void Join_StructHandlerCountingInAField_CallersCopyStaysZeroWhileReferenceSeesEveryEvent()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copied", PartitionCount = 1, Capacity = 128 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "copies" });
        var shared = new StrongBox<long>();
        var handler = new CountingHandler(shared);
        group.Join(handler);

        for (int i = 0; i < 100; i++)
        {
            topic.Publish(new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("copied", 0) == 100, TimeSpan.FromSeconds(30)), "the member did not handle 100 events");
        Assert.Equal(0, handler.Count);
        Assert.Equal(100, Volatile.Read(ref shared.Value));
    }

    private struct CountingHandler(StrongBox<long> shared) : IEventHandler<TestEvent>
    {
        public long Count;

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Count++;
            // Release: read by the test thread after it saw the commit that follows this call.
            Volatile.Write(ref shared.Value, shared.Value + 1);
        }
    }
}
