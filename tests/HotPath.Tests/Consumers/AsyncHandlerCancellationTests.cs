using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The token an async handler receives is cancelled when its member stops: it leaves, is declared failed (fenced) or
/// the group is disposed. A handler that awaits it then returns, and the member's thread ends; the cancellation is not
/// a handler failure (the error policy does not see it; the next owner gets the event again).
/// </summary>
public sealed class AsyncHandlerCancellationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Topic<TestEvent> CreateTopic(string name) => new(new TopicOptions { Name = name, Capacity = 64 });

    /// <summary>Awaits its token on every event; records whether the token was cancelled.</summary>
    private sealed class TokenAwaitingHandler : IAsyncEventHandler<TestEvent>
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Cancelled { get; } = new();

        public async ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            Entered.Set();
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Cancelled.Set();
                throw;
            }
        }
    }

    /// <summary>
    /// A member that leaves while its handler awaits the token: the leave times out on it and fences it, its token is
    /// cancelled, the handler returns and the member's thread ends (before the fix only the group's Dispose cancelled it).
    /// </summary>
    [Fact]
    public void Join_AsyncHandlerMemberLeavesWhileHandlerAwaitsToken_TokenCancelledAndThreadEnds()
    {
        using var topic = CreateTopic("async-cancel-leave");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "async-cancel-leave",
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            RebalanceTimeout = TimeSpan.FromMilliseconds(200),
        });
        var handler = new TokenAwaitingHandler();
        GroupMember<TestEvent> member = group.Join(handler);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(handler.Entered.Wait(Timeout), "the handler was called");

        member.Leave();

        Assert.True(handler.Cancelled.Wait(Timeout), "the handler's token was cancelled when its member left");
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout), "the member's thread ended");
    }

    /// <summary>A member declared failed (fenced) while its handler awaits the token: cancelled, and its thread ends.</summary>
    [Fact]
    public void Join_AsyncHandlerMemberDeclaredFailedWhileHandlerAwaitsToken_TokenCancelledAndThreadEnds()
    {
        using var topic = CreateTopic("async-cancel-fenced");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "async-cancel-fenced" });
        var handler = new TokenAwaitingHandler();
        GroupMember<TestEvent> member = group.Join(handler);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(handler.Entered.Wait(Timeout), "the handler was called");

        group.TestFence(member);

        Assert.True(handler.Cancelled.Wait(Timeout), "the handler's token was cancelled when its member was declared failed");
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout), "the member's thread ended");
        Assert.Equal(MemberState.Failed, member.State);
    }

    /// <summary>
    /// The cancellation of a stopping member is not a handler failure: with a policy that skips failed events, the
    /// cancelled event is neither skipped nor reported, and the next owner handles it.
    /// </summary>
    [Fact]
    public void Join_AsyncHandlerFencedMembersCancelledEvent_NotSkippedAndHandledByTheNextOwner()
    {
        using var topic = CreateTopic("async-cancel-policy");
        var errors = new ConcurrentQueue<HandlerError>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "async-cancel-policy",
            ErrorPolicy = new ErrorPolicy { AfterRetries = ErrorAction.Skip, OnError = errors.Enqueue, OnSkipped = errors.Enqueue },
        });
        var handler = new TokenAwaitingHandler();
        GroupMember<TestEvent> member = group.Join(handler);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(handler.Entered.Wait(Timeout), "the handler was called");

        group.TestFence(member);
        Assert.True(handler.Cancelled.Wait(Timeout), "the handler's token was cancelled");
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout), "the member's thread ended");
        var seen = new ConcurrentQueue<long>();
        group.Join(new ActionHandler((_, _, offset, _) => seen.Enqueue(offset)));

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("async-cancel-policy", 0) == 1, Timeout), "the next owner handled the event");
        Assert.Equal([0L], seen);
        Assert.Empty(errors);
        Assert.Equal(0, group.GetStats()[0].Skipped);
    }

    /// <summary>Registers a callback on its member's token that throws when the token is cancelled.</summary>
    private sealed class ThrowingRegistrationHandler : IAsyncEventHandler<TestEvent>
    {
        public ManualResetEventSlim Registered { get; } = new();

        public ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            cancellationToken.Register(static () => throw new InvalidOperationException("cancellation callback failed"));
            Registered.Set();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// A callback the handler registered on its member's token throws when the member leaves: the failure is observed and
    /// kept as the group's <see cref="ConsumerGroup{T}.BackgroundError"/>, never left as an unobserved task exception.
    /// </summary>
    [Fact]
    public void Leave_CallbackOnTheTokenThrows_KeptAsBackgroundError()
    {
        using var topic = CreateTopic("token-callback-throws");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "token-callback-throws" });
        var handler = new ThrowingRegistrationHandler();
        GroupMember<TestEvent> member = group.Join(handler);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(handler.Registered.Wait(Timeout), "the handler was called");

        member.Leave();

        Assert.True(SpinWait.SpinUntil(() => group.BackgroundError is not null, Timeout), "the callback's failure was recorded");
        var error = Assert.IsType<AggregateException>(group.BackgroundError);
        Assert.Equal("cancellation callback failed", Assert.Single(error.Flatten().InnerExceptions).Message);
    }
}

