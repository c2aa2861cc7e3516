using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A member with nothing to do parks (blocking wait strategy), and whoever gives it work must wake it: a publish to any
/// of its partitions in either mode, the topic's completion, a control request (leave). The park has a 200 ms backstop
/// that hides a lost wake-up as a short delay; these tests turn it off (<c>ReaderParkBackstopMilliseconds</c>), so a
/// lost wake-up hangs the member and the test fails after <see cref="Hang"/>.
/// </summary>
public class MemberWakeUpTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    public static TheoryData<PublishMode> Modes() => new() { PublishMode.SingleWriter, PublishMode.MultiWriter };

    private sealed class Recorder : IEventHandler<TestEvent>
    {
        public ConcurrentQueue<(int Partition, long Offset, long Value)> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) =>
            Seen.Enqueue((partition, offset, @event.Value));
    }

    private static Topic<TestEvent> CreateTopic(PublishMode mode, int partitions = 2) =>
        new(new TopicOptions { Name = "idle", PartitionCount = partitions, Capacity = 16, PublishMode = mode, WaitStrategy = WaitStrategy.Blocking });

    private static ConsumerGroup<TestEvent> CreateGroup(Topic<TestEvent> topic, string id) =>
        new(topic, new ConsumerGroupOptions { GroupId = id, WaitStrategy = WaitStrategy.Blocking })
        {
            ReaderParkBackstopMilliseconds = Timeout.Infinite,
        };

    /// <summary>Gives the member time to run out of work and park (a blocking strategy parks after a few spins).</summary>
    private static void LetItPark() => Thread.Sleep(50);

    private static void AwaitSeen(Recorder recorder, int count, string what) =>
        Assert.True(SpinWait.SpinUntil(() => recorder.Seen.Count >= count, Hang), $"{what}: the parked member was never woken (a lost wake-up); saw {recorder.Seen.Count} of {count}");

    [Theory]
    [MemberData(nameof(Modes))]
    public void ParkedMember_PublishToEachOfItsPartitions_WakesAndHandlesEach(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using ConsumerGroup<TestEvent> group = CreateGroup(topic, "wakes");
        var recorder = new Recorder();
        group.Join(recorder);

        for (int round = 0; round < 3; round++)
        {
            for (int partition = 0; partition < topic.PartitionCount; partition++)
            {
                LetItPark();
                topic[partition].Publish(new TestEvent(round * 10 + partition));
                AwaitSeen(recorder, round * topic.PartitionCount + partition + 1, $"round {round}, partition {partition}");
            }
        }

        Assert.Equal([(0, 0L, 0L), (1, 0L, 1L), (0, 1L, 10L), (1, 1L, 11L), (0, 2L, 20L), (1, 2L, 21L)], recorder.Seen);
    }

    /// <summary>Two groups' members park on the same partitions; one group leaves (its parkers are unregistered); the
    /// other's members must still be woken by the next publish.</summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void TwoGroupsParked_OneDisposed_TheOthersMemberIsStillWoken(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, partitions: 1);
        var leaving = CreateGroup(topic, "leaving");
        using ConsumerGroup<TestEvent> staying = CreateGroup(topic, "staying");
        var left = new Recorder();
        var stays = new Recorder();
        leaving.Join(left);
        staying.Join(stays);
        topic[0].Publish(new TestEvent(1));
        AwaitSeen(stays, 1, "first event");
        AwaitSeen(left, 1, "first event, leaving group");

        leaving.Dispose();
        LetItPark();
        topic[0].Publish(new TestEvent(2));

        AwaitSeen(stays, 2, "after the other group left");
        Assert.Equal([(0, 0L, 1L), (0, 1L, 2L)], stays.Seen);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ParkedMember_TopicCompleted_WakesDrainsAndTheGroupCompletes(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using ConsumerGroup<TestEvent> group = CreateGroup(topic, "drains");
        var recorder = new Recorder();
        group.Join(recorder);
        topic[1].Publish(new TestEvent(7));
        AwaitSeen(recorder, 1, "the event before completion");
        LetItPark();

        topic.Complete();

        Assert.True(group.Completion.Wait(Hang), "the parked member never saw the completion (a lost wake-up)");
        Assert.Equal([(1, 0L, 7L)], recorder.Seen);
    }

    [Fact]
    public void ParkedMember_Leaves_WakesAndLeavesPromptly()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        using ConsumerGroup<TestEvent> group = CreateGroup(topic, "leaves");
        var stays = new Recorder();
        GroupMember<TestEvent> staying = group.Join(stays);
        GroupMember<TestEvent> leaving = group.Join(new Recorder());
        LetItPark();

        leaving.Leave();

        Assert.Equal(MemberState.Stopped, leaving.State);
        Assert.Equal(MemberState.Running, staying.State);
        LetItPark();
        topic[0].Publish(new TestEvent(3));
        topic[1].Publish(new TestEvent(4));
        AwaitSeen(stays, 2, "after the rebalance the remaining member owns both partitions");
    }

    /// <summary>Parkers are registered with the partitions a member owns and unregistered when it gives them up, so
    /// rebalances do not pile them up (each one would be unparked by every publish that wakes readers).</summary>
    [Fact]
    public void JoinLeaveCycles_EachPartitionKeepsOneParkerPerOwner()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        using ConsumerGroup<TestEvent> group = CreateGroup(topic, "cycles");
        group.Join(new Recorder());
        for (int cycle = 0; cycle < 5; cycle++)
        {
            GroupMember<TestEvent> visitor = group.Join(new Recorder());
            Assert.Equal([1, 1], Enumerable.Range(0, topic.PartitionCount).Select(p => topic[p].ReaderParkerCount));
            visitor.Leave();
            Assert.Equal([1, 1], Enumerable.Range(0, topic.PartitionCount).Select(p => topic[p].ReaderParkerCount));
        }
    }
}
