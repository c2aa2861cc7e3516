using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>Cancelled and ended waits: a cancelled Consume takes nothing, and a consumer that ends wakes its waiting calls.</summary>
public sealed class GroupConsumerCancellationTests
{
    [Fact]
    public void Consume_CancelledWhileWaiting_ThrowsAndTheNextCallGetsTheFirstEvent()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.ThrowsAny<OperationCanceledException>(() => consumer.Consume(cancel.Token));
        PullTopic.Publish(topic, 0, 2);

        Assert.Equal([0L, 1], PullTopic.Take(consumer, 2).Select(r => r.Offset));
    }

    [Fact]
    public void Consume_TokenCancelledBeforeTheCall_ThrowsAndCommitsNothing()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 2);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        PullTopic.Take(consumer, 1);

        Assert.ThrowsAny<OperationCanceledException>(() => consumer.Consume(new CancellationToken(canceled: true)));

        // Neither the auto-commit of offset 0 nor a take happened.
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal(1, PullTopic.Take(consumer, 1)[0].Offset);
    }

    [Fact]
    public async Task ConsumeAsync_CancelledWhileWaiting_ThrowsAndTheEventPublishedAfterIsNotLost()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        using var cancel = new CancellationTokenSource();

        ValueTask<ConsumeResult<TestEvent>> pending = consumer.ConsumeAsync(cancel.Token);
        Assert.False(pending.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        PullTopic.Publish(topic, 0, 1, from: 3);

        ConsumeResult<TestEvent> result = await consumer.ConsumeAsync().AsTask().WaitAsync(PullTopic.Timeout);
        Assert.Equal(0, result.Offset);
        Assert.Equal(3, result.Event.Value);
    }

    [Fact]
    public async Task ConsumeAllAsync_CancelledWhileWaiting_ThrowsAndALaterEnumerationGetsTheNextEvent()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 1);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        using var cancel = new CancellationTokenSource();
        var seen = new List<long>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ConsumeResult<TestEvent> result in consumer.ConsumeAllAsync(cancel.Token))
            {
                seen.Add(result.Offset);
                cancel.CancelAfter(50);
            }
        });
        PullTopic.Publish(topic, 0, 1);

        Assert.Equal([0L], seen);
        Assert.Equal(1, PullTopic.Take(consumer, 1)[0].Offset);
    }

    [Fact]
    public void Consume_GroupDisposedWhileWaiting_WakesAndThrows()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        Task<Exception?> waiting = Task.Run<Exception?>(() => Record.Exception(() => consumer.Consume(CancellationToken.None)));
        Thread.Sleep(50);

        group.Dispose();

        Assert.True(waiting.Wait(PullTopic.Timeout));
        var error = Assert.IsType<InvalidOperationException>(waiting.Result);
        Assert.Contains("has left the group", error.Message);
        consumer.Dispose();
    }

    [Fact]
    public void Consume_ConsumerDisposedFromAnotherThreadWhileWaiting_WakesWithObjectDisposed()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        Task<Exception?> waiting = Task.Run<Exception?>(() => Record.Exception(() => consumer.Consume(TimeSpan.FromSeconds(30))));
        Thread.Sleep(50);

        consumer.Dispose();

        Assert.True(waiting.Wait(PullTopic.Timeout));
        Assert.IsType<ObjectDisposedException>(waiting.Result);
        Assert.Empty(group.Members);
    }
}
