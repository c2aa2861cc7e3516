using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A seek asked of the partition's owner: what its caller is told when the owner never reaches a safe point, when the
/// owner's thread has ended, and when the owner claimed the seek just as the caller gave up.
/// </summary>
public sealed class PendingSeekAwaitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic() =>
        new(new TopicOptions { Name = "orders", PartitionCount = 1, Capacity = 64 });

    /// <summary>A seek whose owner stays in its handler past the rebalance time-out is withdrawn; the message names the partition, the member and the time-out.</summary>
    [Fact]
    public void Seek_OwnerStuckInHandler_TimeoutNamesPartitionMemberAndWithdrawal()
    {
        using var topic = CreateTopic();
        using var inside = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "seek-stuck",
            RebalanceTimeout = TimeSpan.FromMilliseconds(500),
            SessionTimeout = TimeSpan.FromSeconds(30),
        });
        try
        {
            group.Join(
                new ActionHandler((_, _, _, _) =>
                {
                    inside.Set();
                    gate.Wait(Timeout);
                }),
                "m");
            topic.PublishTo(0, new TestEvent(0));
            Assert.True(inside.Wait(Timeout));

            var error = Assert.Throws<TimeoutException>(() => group.Seek("orders", 0, 0));

            Assert.Contains("seek of orders-0 by member 'm' (withdrawn: it will not be applied) did not complete within 00:00:00.5000000", error.Message);
        }
        finally
        {
            gate.Set();
        }
    }

    /// <summary>
    /// A seek asked of an owner whose thread has ended (dead-lettering to a completed topic threw outside its handler)
    /// is refused at once with an <see cref="InvalidOperationException"/> that names the member and the partition and
    /// says to seek again, not a time-out.
    /// </summary>
    [Fact]
    public void Seek_OwnersThreadEnded_ThrowsNamingMemberAndPartition()
    {
        using var topic = CreateTopic();
        using var deadLetters = new Topic<DeadLetter<TestEvent>>(new TopicOptions { Name = "dead", Capacity = 8 });
        deadLetters.Complete();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "seek-dead",
            ErrorPolicy = ErrorPolicy.DeadLetterTo(deadLetters, maxAttempts: 1),
            // The watchdog's first check comes after 15 minutes: the dead member still owns the partition below.
            SessionTimeout = TimeSpan.FromHours(1),
            MaxPollInterval = TimeSpan.FromHours(1),
        });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) => throw new InvalidOperationException("handler failed")), "m");
        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout));
        Assert.Equal("m", group.GetOwner("orders", 0));

        var error = Assert.Throws<InvalidOperationException>(() => group.Seek("orders", 0, 0));

        Assert.Contains("member 'm' left before it applied the seek of orders-0: seek again", error.Message);
    }

    /// <summary>
    /// A caller whose time-out expires after the member claimed the seek cannot withdraw it: it waits for the member's
    /// outcome and reports it (here the member's error), never a time-out.
    /// </summary>
    [Fact]
    public void Await_SeekClaimedWhenTheCallerTimesOut_WaitsForTheOutcomeAndReportsIt()
    {
        using var topic = CreateTopic();
        var partition = new GroupPartition<TestEvent>(new TopicPartition("orders", 0), topic[0], OffsetReset.Earliest, lossy: false, readCommitted: true);
        var seek = new PendingSeek<TestEvent>(partition, 0);
        object control = new();
        Assert.True(seek.TryClaim());
        const int TimeoutMilliseconds = 20;
        int pastDeadline = 0;
        Exception? error = null;
        var caller = new Thread(() =>
        {
            long deadline = Environment.TickCount64 + TimeoutMilliseconds;
            try
            {
                seek.Await(
                    control,
                    () =>
                    {
                        if (Environment.TickCount64 >= deadline)
                        {
                            Volatile.Write(ref pastDeadline, 1);
                        }

                        return false;
                    },
                    TimeSpan.FromMilliseconds(TimeoutMilliseconds),
                    "m");
            }
            catch (Exception ex)
            {
                error = ex;
            }
        })
        {
            IsBackground = true,
        };
        caller.Start();

        // Past its deadline, the caller waits on the control lock (as the member's Complete expects), not in a spin.
        Assert.True(
            SpinWait.SpinUntil(() => Volatile.Read(ref pastDeadline) == 1 && (caller.ThreadState & ThreadState.WaitSleepJoin) != 0, Timeout),
            "the caller does not wait for the claimed seek's outcome");
        seek.Complete(control, new ArgumentOutOfRangeException("offset"));

        Assert.True(caller.Join(Timeout));
        Assert.IsType<ArgumentOutOfRangeException>(error);
    }
}
