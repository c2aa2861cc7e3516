using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The session watchdog's verdicts: a member that makes progress one event per pass, an idle owner, a member in a
/// callback that owns nothing are alive; a member whose thread ended is reported with its own error; the watchdog
/// runs on a background thread named after the group, and forgets the members it declared failed.
/// </summary>
public sealed class WatchdogLivenessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions = 1) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 256 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>
    /// A member that handles one event per pass (MaxBatchSize 1) for longer than both time-outs moves its position
    /// and its heartbeat together: that is progress on both counts, and it is never evicted.
    /// </summary>
    [Fact]
    public void SlowHandler_OneEventPerPassLongerThanBothTimeouts_MemberStaysAndHandlesEachEventOnce()
    {
        using var topic = CreateTopic();
        for (int i = 0; i < 250; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "one-per-pass",
            MaxBatchSize = 1,
            SessionTimeout = TimeSpan.FromMilliseconds(300),
            MaxPollInterval = TimeSpan.FromMilliseconds(300),
            OnMemberFailed = failures.Enqueue,
        });
        var offsets = new ConcurrentQueue<long>();
        GroupMember<TestEvent> member = group.Join(
            new ActionHandler((_, _, offset, _) =>
            {
                Thread.Sleep(3);
                offsets.Enqueue(offset);
            }),
            "slow");

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 250 || !failures.IsEmpty, Timeout));

        Assert.Empty(failures);
        Assert.Equal(MemberState.Running, member.State);
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (long)i), offsets);
    }

    /// <summary>
    /// A member that owns a partition and is parked waiting for events (no backstop wake-up, so its heartbeat stands
    /// still) is idle, not stuck: it outlives many session time-outs and handles the next event.
    /// </summary>
    [Fact]
    public void IdleOwner_ParkedFarLongerThanSessionTimeout_StaysAndHandlesTheNextEvent()
    {
        using var topic = CreateTopic();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "idle-owner",
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            MaxPollInterval = TimeSpan.FromMilliseconds(100),
            OnMemberFailed = failures.Enqueue,
        });
        group.ReaderParkBackstopMilliseconds = System.Threading.Timeout.Infinite;
        var offsets = new ConcurrentQueue<long>();
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, offset, _) => offsets.Enqueue(offset)), "idle");

        // Six session time-outs, about twenty-four watchdog checks, with nothing to do.
        Thread.Sleep(600);
        Assert.Empty(failures);
        Assert.Equal(MemberState.Running, member.State);

        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => !offsets.IsEmpty, Timeout));
        Assert.Equal("idle", group.GetOwner("orders", 0));
    }

    /// <summary>
    /// Eager: a member whose revoke callback outlasts the session time-out owns nothing during it (it released its
    /// partitions first), so it is not stuck: the rebalance waits for it (up to the rebalance time-out) and it stays.
    /// </summary>
    [Fact]
    public void EagerRevokeCallback_LongerThanSessionTimeoutOwningNothing_MemberStays()
    {
        using var topic = CreateTopic();
        var listener = new SlowRevokeListener("a", TimeSpan.FromMilliseconds(600));
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "slow-revoke",
            Assignor = new RangeAssignor(),
            RebalanceListener = listener,
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            RebalanceTimeout = TimeSpan.FromSeconds(30),
            OnMemberFailed = failures.Enqueue,
        });
        GroupMember<TestEvent> a = group.Join(Idle(), "a");
        listener.Armed = true;

        group.Join(Idle(), "b");

        Assert.Equal(1, listener.SlowRevokes);
        Assert.Equal(MemberState.Running, a.State);
        Assert.Equal("a", group.GetOwner("orders", 0));
        Assert.Empty(failures);
    }

    /// <summary>
    /// The rebalance that follows the watchdog's verdict runs on the watchdog's own thread: a background thread (it
    /// never keeps the process alive) named after the group.
    /// </summary>
    [Fact]
    public void Watchdog_DeclaresStuckMemberFailed_RebalancesOnABackgroundThreadNamedAfterTheGroup()
    {
        using var topic = CreateTopic();
        var assignor = new ThreadRecordingAssignor(new CooperativeStickyAssignor());
        using var inside = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "watched",
            Assignor = assignor,
            Protocol = RebalanceProtocol.Cooperative,
            SessionTimeout = TimeSpan.FromMilliseconds(100),
        });
        try
        {
            group.Join(
                new ActionHandler((_, _, _, _) =>
                {
                    inside.Set();
                    gate.Wait(Timeout);
                }),
                "stuck");
            group.Join(Idle(), "spare");
            Assert.Equal("stuck", group.GetOwner("orders", 0));
            topic.PublishTo(0, new TestEvent(0));
            Assert.True(inside.Wait(Timeout));

            Assert.True(SpinWait.SpinUntil(() => group.GetOwner("orders", 0) == "spare", Timeout));

            (string? name, bool background) = assignor.Threads.Last();
            Assert.Equal("hotpath:watched:watchdog", name);
            Assert.True(background, "the watchdog thread is a background thread");
        }
        finally
        {
            gate.Set();
        }
    }

    /// <summary>
    /// A member whose thread ends while it owns partitions (here: dead-lettering to a completed topic throws outside
    /// the handler) is declared failed with the exception that ended its thread.
    /// </summary>
    [Fact]
    public void MemberThreadEndsOwningPartitions_FailureCarriesTheExceptionThatEndedIt()
    {
        using var topic = CreateTopic();
        using var deadLetters = new Topic<DeadLetter<TestEvent>>(new TopicOptions { Name = "dead", Capacity = 8 });
        deadLetters.Complete();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "dead-thread",
            ErrorPolicy = ErrorPolicy.DeadLetterTo(deadLetters, maxAttempts: 1),
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            OnMemberFailed = failures.Enqueue,
        });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) => throw new InvalidOperationException("handler failed")), "m");

        topic.PublishTo(0, new TestEvent(0));

        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout));
        MemberFailure failure = Assert.Single(failures);
        Assert.Equal("m", failure.MemberId);
        Assert.NotNull(member.Fault);
        Assert.Same(member.Fault, failure.Error);
        Assert.Contains("topic 'dead' is complete", failure.Error.Message);
    }

    /// <summary>
    /// The watchdog forgets a member it declared failed: once the member's thread ended, nothing in the group keeps the
    /// member alive (a service that replaces stuck members does not accumulate them).
    /// </summary>
    [Fact]
    public void StuckMemberDeclaredFailed_AfterItsThreadEnded_IsNotRetainedByTheGroup()
    {
        using var topic = CreateTopic();
        using var inside = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "forgotten",
            SessionTimeout = TimeSpan.FromMilliseconds(100),
            OnMemberFailed = failures.Enqueue,
        });
        try
        {
            WeakReference stuck = JoinStuckMember(group, inside, gate);
            group.Join(Idle(), "spare");
            topic.PublishTo(0, new TestEvent(0));
            Assert.True(inside.Wait(Timeout));
            Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout));
            gate.Set();

            Assert.True(
                SpinWait.SpinUntil(
                    () =>
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        return !stuck.IsAlive;
                    },
                    Timeout),
                "the failed member is still referenced");
        }
        finally
        {
            gate.Set();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference JoinStuckMember(ConsumerGroup<TestEvent> group, ManualResetEventSlim inside, ManualResetEventSlim gate)
    {
        GroupMember<TestEvent> member = group.Join(
            new ActionHandler((_, _, _, _) =>
            {
                inside.Set();
                gate.Wait(Timeout);
            }),
            "stuck");
        return new WeakReference(member.Worker);
    }

    /// <summary>Once armed, sleeps in the revoke callback of one member.</summary>
    private sealed class SlowRevokeListener(string memberId, TimeSpan delay) : IRebalanceListener
    {
        private int _slowRevokes;

        public volatile bool Armed;

        public int SlowRevokes => Volatile.Read(ref _slowRevokes);

        public void OnPartitionsAssigned(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }

        public void OnPartitionsRevoked(string member, IReadOnlyList<TopicPartition> partitions)
        {
            if (Armed && member == memberId)
            {
                Thread.Sleep(delay);
                Interlocked.Increment(ref _slowRevokes);
            }
        }

        public void OnPartitionsLost(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }
    }

    /// <summary>Records the thread of each call, then lets another assignor answer.</summary>
    private sealed class ThreadRecordingAssignor(IPartitionAssignor inner) : IPartitionAssignor
    {
        public ConcurrentQueue<(string? Name, bool IsBackground)> Threads { get; } = new();

        public string Name => inner.Name;

        public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
            IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, Subscription> subscriptions)
        {
            Threads.Enqueue((Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground));
            return inner.Assign(partitionsPerTopic, subscriptions);
        }
    }
}
