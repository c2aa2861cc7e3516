using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Tests.Durability;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// <see cref="GroupMember{T}.LeaveAsync"/> and the <see cref="IAsyncDisposable"/> of members, groups and topics: the call
/// returns to the caller while the member's current batch is still running (where Leave and Dispose block), completes once
/// the member left and its thread ended, and a cancelled wait never leaves a member half-left: the leave goes on.
/// </summary>
public sealed class AsyncLifetimeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Blocks in its first call until <see cref="Release"/> is set, so a leave must wait for that batch to end.</summary>
    private sealed class GateHandler : IEventHandler<TestEvent>
    {
        public ManualResetEventSlim Inside { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Inside.Set();
            Release.Wait();
        }
    }

    [Fact]
    public async Task LeaveAsync_MemberInsideItsBatch_ReturnsPendingThenLeavesOnceTheBatchEnds()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "leave-async", Capacity = 64 });
        await using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "leave-async" });
        var gate = new GateHandler();
        GroupMember<TestEvent> member = group.Join(gate, memberId: "a");
        GroupMember<TestEvent> other = group.Join(new ActionHandler((_, _, _, _) => { }), memberId: "b");
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(gate.Inside.Wait(Timeout), "the handler was called");

        Task leaving = member.LeaveAsync();
        await Task.Delay(100);
        Assert.False(leaving.IsCompleted, "the leave ended while the member's batch was still running");

        gate.Release.Set();
        await leaving.WaitAsync(Timeout);

        Assert.Equal(MemberState.Stopped, member.State);
        Assert.Equal([other], group.Members);
        Assert.Equal(1, group.GetCommittedOffset("leave-async", 0));
        Assert.Equal("b", group.GetOwner("leave-async", 0));
    }

    [Fact]
    public async Task LeaveAsync_CancelledWhileTheBatchRuns_CallerStopsWaitingAndTheLeaveStillCompletes()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "leave-cancel", Capacity = 64 });
        await using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "leave-cancel" });
        var gate = new GateHandler();
        GroupMember<TestEvent> member = group.Join(gate, memberId: "a");
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(gate.Inside.Wait(Timeout), "the handler was called");
        using var cancellation = new CancellationTokenSource();

        Task leaving = member.LeaveAsync(cancellation.Token);
        cancellation.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(MemberState.Running, member.State);

        gate.Release.Set();
        // The same leave, still under way after the cancelled wait: awaited again, it ends with the member out.
        await member.LeaveAsync().WaitAsync(Timeout);
        Assert.Equal(MemberState.Stopped, member.State);
        Assert.Empty(group.Members);
        Assert.Equal(1, group.GetCommittedOffset("leave-cancel", 0));
        // A second leave changes nothing.
        await member.DisposeAsync();
        member.Leave();
        Assert.Equal(MemberState.Stopped, member.State);
    }

    [Fact]
    public async Task DisposeAsync_GroupWithAMemberInsideItsBatch_ReturnsPendingThenStopsMembersAndReleasesTheWriters()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "group-dispose", Capacity = 4 });
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "group-dispose" });
        var gate = new GateHandler();
        GroupMember<TestEvent> member = group.Join(gate);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(gate.Inside.Wait(Timeout), "the handler was called");

        ValueTask disposing = group.DisposeAsync();
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted, "the disposal ended while the member's batch was still running");

        gate.Release.Set();
        await disposing.AsTask().WaitAsync(Timeout);

        Assert.Equal(MemberState.Stopped, member.State);
        Assert.Empty(group.Members);
        Assert.True(group.Completion.IsCanceled, $"Completion is {group.Completion.Status}");
        // The group no longer gates the writers: a 4-slot ring takes 8 more events at once.
        Assert.All(Enumerable.Range(0, 8), i => Assert.True(topic.TryPublishTo(0, new TestEvent(i), out _)));
        await group.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_InMemoryTopicWithAWaitingAsyncWriter_ReleasesItWithObjectDisposed()
    {
        var topic = new Topic<TestEvent>(new TopicOptions { Name = "topic-dispose", Capacity = 2 });
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        topic.PublishTo(0, new TestEvent(0));
        topic.PublishTo(0, new TestEvent(1));
        ValueTask<PublishResult> pending = topic.PublishToAsync(0, new TestEvent(2));

        ValueTask disposing = topic.DisposeAsync();

        Assert.True(disposing.IsCompletedSuccessfully, "an in-memory topic's disposal has nothing to wait for");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Timeout));
        Assert.True(topic.IsCompleted);
    }

    [Fact]
    public async Task DisposeAsync_DurableTopic_JournalsEverythingPublishedAndReleasesTheDirectory()
    {
        using var directory = new TempDirectory();
        TopicOptions options = new()
        {
            Name = "durable-dispose",
            Capacity = 64,
            Durability = new DurabilityOptions { Directory = directory.Path, Sync = SyncPolicy.Interval, SyncInterval = TimeSpan.FromHours(1), SegmentBytes = 4096 },
        };
        var topic = new Topic<TestEvent>(options);
        for (int i = 0; i < 50; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        await topic.DisposeAsync().AsTask().WaitAsync(Timeout);
        Assert.Null(topic.JournalFault);

        // The directory is free again (its lock released) and holds every event.
        await using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(50, reopened[0].EndOffset);
        using PartitionReader<TestEvent> reader = reopened.CreateReader(0);
        Assert.True(reader.TryRead(out TestEvent first, out long offset));
        Assert.Equal((0L, 0L), (first.Value, offset));
    }
}
