using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// <c>Join</c> takes async handlers: C# overload resolution drops the generic <c>Join&lt;THandler&gt;</c> when a handler
/// does not implement <see cref="IEventHandler{T}"/> (its constraint fails) and picks the
/// <see cref="IAsyncEventHandler{T}"/> overload, for a struct handler (boxed once) as for a class. That these calls compile
/// is half of the test; the other half is that the member is an async member that awaits each call.
/// </summary>
public sealed class AsyncHandlerJoinTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private struct StructAsyncHandler(CountdownEvent remaining) : IAsyncEventHandler<TestEvent>
    {
        public readonly ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            remaining.Signal();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ClassAsyncHandler(CountdownEvent remaining) : IAsyncEventHandler<TestEvent>
    {
        public async ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            await Task.Yield();
            remaining.Signal();
        }
    }

    private sealed class BothHandler(CountdownEvent remaining) : IEventHandler<TestEvent>, IAsyncEventHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) => remaining.Signal();

        public ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a handler implementing both interfaces is called synchronously");
    }

    [Fact]
    public void Join_StructAsyncHandler_JoinsAnAsyncMemberThatHandlesEveryEvent()
    {
        using var remaining = new CountdownEvent(10);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "struct-async", Capacity = 16 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "struct-async" });

        GroupMember<TestEvent> member = group.Join(new StructAsyncHandler(remaining), memberId: "s");
        Publish(topic, 10);

        Assert.IsType<AsyncMemberWorker<TestEvent, AsyncEventHandlerAdapter<TestEvent, IAsyncEventHandler<TestEvent>>>>(member.Worker);
        Assert.Equal("s", member.MemberId);
        Assert.True(remaining.Wait(Timeout), $"{remaining.CurrentCount} events not handled");
    }

    [Fact]
    public void Join_ClassAsyncHandler_JoinsAnAsyncMemberThatHandlesEveryEvent()
    {
        using var remaining = new CountdownEvent(10);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "class-async", Capacity = 16 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "class-async" });

        GroupMember<TestEvent> member = group.Join(new ClassAsyncHandler(remaining), groupInstanceId: "static-1");
        Publish(topic, 10);

        Assert.IsType<AsyncMemberWorker<TestEvent, AsyncEventHandlerAdapter<TestEvent, IAsyncEventHandler<TestEvent>>>>(member.Worker);
        Assert.Equal("static-1", member.GroupInstanceId);
        Assert.True(remaining.Wait(Timeout), $"{remaining.CurrentCount} events not handled");
    }

    [Fact]
    public void Join_HandlerImplementingBothInterfaces_JoinsASynchronousMember()
    {
        using var remaining = new CountdownEvent(10);
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "both", Capacity = 16 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "both" });

        GroupMember<TestEvent> member = group.Join(new BothHandler(remaining));
        Publish(topic, 10);

        Assert.IsType<EventMemberWorker<TestEvent, BothHandler>>(member.Worker);
        Assert.True(remaining.Wait(Timeout), $"{remaining.CurrentCount} events not handled");
        Assert.Null(member.Fault);
    }

    private static void Publish(Topic<TestEvent> topic, int count)
    {
        for (int i = 0; i < count; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }
    }
}
