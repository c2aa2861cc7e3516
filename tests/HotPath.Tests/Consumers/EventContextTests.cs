using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Handlers with an <see cref="EventContext"/>: the topic of each event in a multi-topic group, commits through the
/// context (event, batch and asynchronous handlers), a context kept past its partition's revocation, and no allocation.
/// </summary>
public sealed class EventContextTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(string name, int partitions = 1, int capacity = 256) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = capacity });

    private static ConsumerGroupOptions Options(string id, CommitMode commitMode = CommitMode.AfterBatch, IPartitionAssignor? assignor = null) =>
        new() { GroupId = id, CommitMode = commitMode, Assignor = assignor ?? new CooperativeStickyAssignor() };

    [Fact]
    public void Join_MultiTopicGroupContextHandler_SeesEachEventsTopicPartitionAndOffset()
    {
        using var alpha = CreateTopic("alpha", partitions: 2);
        using var beta = CreateTopic("beta", partitions: 3);
        using var group = new ConsumerGroup<TestEvent>([alpha, beta], Options("multi"));
        var handler = new RecordingContextHandler();
        group.Join(handler);
        group.Join(handler);

        // The event says where it was published: writer 1 for alpha, 2 for beta; value = partition * 1000 + offset.
        for (int i = 0; i < 40; i++)
        {
            int pa = i % 2;
            alpha.PublishTo(pa, new TestEvent((pa * 1000) + (i / 2), writer: 1));
            int pb = i % 3;
            beta.PublishTo(pb, new TestEvent((pb * 1000) + (i / 3), writer: 2));
        }

        Assert.True(SpinWait.SpinUntil(() => handler.Seen.Count == 80, Timeout), $"handled {handler.Seen.Count} of 80");
        foreach ((TestEvent e, string topic, int partition, long offset, string groupId) in handler.Seen)
        {
            Assert.Equal(e.Writer == 1 ? "alpha" : "beta", topic);
            Assert.Equal("multi", groupId);
            Assert.Equal(e.Value / 1000, partition);
        }

        // Per topic partition: offsets 0..n-1 exactly once.
        foreach (Topic<TestEvent> topic in new[] { alpha, beta })
        {
            foreach (var partition in topic.Partitions)
            {
                long[] offsets = [.. handler.Seen.Where(s => s.Topic == topic.Name && s.Partition == partition.Id).Select(s => s.Offset).Order()];
                Assert.Equal(Enumerable.Range(0, (int)partition.EndOffset).Select(i => (long)i), offsets);
            }
        }
    }

    [Fact]
    public void Commit_ViaContextUnderManualMode_NewMemberResumesAtCommittedOffset()
    {
        using var topic = CreateTopic("orders");
        using var group = new ConsumerGroup<TestEvent>(topic, Options("manual", CommitMode.Manual));
        var first = new CommittingContextHandler(commitBelow: 10);
        GroupMember<TestEvent> m0 = group.Join(first);
        for (int i = 0; i < 20; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => first.Seen.Count == 20, Timeout));
        Assert.Equal(10, group.GetCommittedOffset("orders", 0));
        m0.Leave();

        var second = new CommittingContextHandler(commitBelow: long.MaxValue);
        group.Join(second);
        Assert.True(SpinWait.SpinUntil(() => second.Seen.Count == 10, Timeout));
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), second.Seen);
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 20, Timeout));
    }

    [Fact]
    public void Commit_FromContextOfRevokedPartition_ThrowsAndCommitsNothing()
    {
        using var topic = CreateTopic("orders", partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("revoked", CommitMode.Manual, new RangeAssignor()));
        var handler = new KeepingContextHandler();
        group.Join(handler, memberId: "a");
        topic.PublishTo(1, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => handler.Kept is not null, Timeout));

        // Range over members a, b: a keeps partition 0, partition 1 moves to b (uncommitted: b starts at 0 again).
        var other = new CommittingContextHandler(commitBelow: 0);
        group.Join(other, memberId: "b");
        Assert.Equal("b", group.GetOwner("orders", 1));
        Assert.True(SpinWait.SpinUntil(() => other.Seen.Count == 1, Timeout));

        // On a's own thread, in a later call for partition 0: the kept context of partition 1 commits nothing.
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => handler.KeptCommitError is not null, Timeout));
        Assert.IsType<InvalidOperationException>(handler.KeptCommitError);
        Assert.Contains("commit of orders-1 by member 'a' of group 'revoked' was refused", handler.KeptCommitError.Message);
        Assert.Contains("no longer owns the partition", handler.KeptCommitError.Message);
        Assert.Equal(0, group.GetCommittedOffset("orders", 1));

        // Nor from another thread, where no handler call runs.
        var offThread = Assert.Throws<InvalidOperationException>(() => handler.Kept!.Value.Commit());
        Assert.Contains("was refused", offThread.Message);
        Assert.Equal(0, group.GetCommittedOffset("orders", 1));
    }

    [Fact]
    public void Commit_FromAnotherThreadOutsideTheCall_ThrowsNamingTheRule()
    {
        using var topic = CreateTopic("orders");
        using var group = new ConsumerGroup<TestEvent>(topic, Options("outside", CommitMode.Manual));
        var handler = new KeepingContextHandler();
        group.Join(handler);
        topic.PublishTo(0, new TestEvent(0));
        Assert.True(SpinWait.SpinUntil(() => handler.Kept is not null, Timeout));

        var error = Assert.Throws<InvalidOperationException>(() => handler.Kept!.Value.Commit());
        Assert.Contains("only from the handler call that received it", error.Message);
        Assert.Equal(0, group.GetCommittedOffset("orders", 0));
        Assert.Throws<InvalidOperationException>(() => default(EventContext).Commit());
    }

    [Fact]
    public void JoinBatch_ContextCommit_CommitsThroughTheSpanAndCoversIt()
    {
        using var topic = CreateTopic("orders", capacity: 64);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("batch", CommitMode.Manual));
        var handler = new BatchContextHandler();
        group.JoinBatch(handler);
        for (int i = 0; i < 200; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 200, Timeout));
        // Spans cover every offset once, in order, each context naming its first offset and length.
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), handler.Offsets);
        Assert.All(handler.Contexts, c => Assert.True(c.EndOfBatch && c.Topic == "orders" && c.Count >= 1));
    }

    [Fact]
    public async Task Join_AsyncContextHandlerCommitAfterAwait_CommitsFromTheContinuation()
    {
        using var topic = CreateTopic("orders");
        using var group = new ConsumerGroup<TestEvent>(topic, Options("async", CommitMode.Manual));
        var handler = new AsyncCommittingHandler();
        group.Join(handler);
        for (int i = 0; i < 50; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        // The last commit moves the offset to 50 inside the last call, before the handler counts it: wait for both.
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 50 && handler.Commits == 50, Timeout));
        Assert.True(handler.OffThreadCommits > 0, "no commit ran on a continuation off the member's thread");

        // Once the member has seen the last call's task complete, its context no longer commits (until then the call is
        // still open, and a commit through it moves nothing: the offset is already 50).
        InvalidOperationException? error = null;
        Assert.True(SpinWait.SpinUntil(() => CommitIsRefused(handler.Last, out error), Timeout), "the last call's context still commits");
        Assert.Contains("only from the handler call that received it", error!.Message);
        Assert.Equal(50, group.GetCommittedOffset("orders", 0));
        await Task.CompletedTask;
    }

    [Fact]
    public void Commit_ThroughTheContextThenTheHandlerThrows_TheErrorPolicyRetriesAndTheMemberKeepsRunning()
    {
        using var topic = CreateTopic("orders");
        var options = Options("commit-then-throw") with { ErrorPolicy = new ErrorPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.Zero } };
        using var group = new ConsumerGroup<TestEvent>(topic, options);
        // Published before the join: offsets 0..9 arrive as one batch, so offset 5 fails after earlier events of its batch.
        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        var handler = new CommitThenThrowHandler(failAt: 5);
        GroupMember<TestEvent> member = group.Join(handler);

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 10 || member.State != MemberState.Running, Timeout));
        // The handler committed through offset 5 and threw: the loop's own commit after the batch must not refuse the
        // position it is left at (5, below the committed 6) and fault the member; the error policy retries offset 5.
        Assert.Equal(MemberState.Running, member.State);
        Assert.Null(member.Fault);
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 10, Timeout));
        Assert.Equal([0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9], handler.Offsets);
    }

    [Fact]
    public void Join_ContextHandler_AllocatesNothingPerEvent()
    {
        const long Events = 1_000_000;
        const long Warmup = 100_000;
        using var topic = CreateTopic("orders", capacity: 4096);
        using var group = new ConsumerGroup<TestEvent>(topic, Options("alloc", CommitMode.Manual));
        var tally = new Tally();
        group.Join(new TallyContextHandler(tally, Warmup));
        for (long i = 0; i < Events; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == Events, TimeSpan.FromSeconds(60)));
        Assert.Equal(Events, tally.Count);
        Assert.Equal(Events * (Events - 1) / 2, tally.OffsetSum);
        Assert.True(tally.AllocatedAtWarmup >= 0 && tally.AllocatedAtLastBatch >= 0, "the tally did not sample");
        Assert.Equal(0, tally.AllocatedAtLastBatch - tally.AllocatedAtWarmup);
    }

    private sealed class RecordingContextHandler : IContextHandler<TestEvent>
    {
        public ConcurrentQueue<(TestEvent Event, string Topic, int Partition, long Offset, string GroupId)> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, in EventContext context) =>
            Seen.Enqueue((@event, context.Topic, context.Partition, context.Offset, context.GroupId));
    }

    private sealed class CommittingContextHandler(long commitBelow) : IContextHandler<TestEvent>
    {
        public ConcurrentQueue<long> Seen { get; } = new();

        public void OnEvent(ref readonly TestEvent @event, in EventContext context)
        {
            Seen.Enqueue(context.Offset);
            if (context.Offset < commitBelow)
            {
                context.Commit();
            }
        }
    }

    /// <summary>Keeps the first context of partition 1; commits it from a later call for partition 0.</summary>
    private sealed class KeepingContextHandler : IContextHandler<TestEvent>
    {
        private readonly object _gate = new();
        private EventContext? _kept;
        private Exception? _keptCommitError;

        public EventContext? Kept
        {
            get
            {
                lock (_gate)
                {
                    return _kept;
                }
            }
        }

        public Exception? KeptCommitError => Volatile.Read(ref _keptCommitError);

        public void OnEvent(ref readonly TestEvent @event, in EventContext context)
        {
            EventContext? kept = Kept;
            if (kept is null)
            {
                lock (_gate)
                {
                    _kept = context;
                }

                return;
            }

            if (context.Partition == 0 && kept.Value.Partition == 1)
            {
                try
                {
                    kept.Value.Commit();
                }
                catch (Exception ex)
                {
                    Volatile.Write(ref _keptCommitError, ex);
                }
            }
        }
    }

    private sealed class BatchContextHandler : IContextBatchHandler<TestEvent>
    {
        public ConcurrentQueue<long> Offsets { get; } = new();

        public ConcurrentQueue<EventContext> Contexts { get; } = new();

        public void OnBatch(ReadOnlySpan<TestEvent> events, in EventContext context)
        {
            Assert.Equal(events.Length, context.Count);
            for (int i = 0; i < events.Length; i++)
            {
                Assert.Equal(events[i].Value, context.Offset + i);
                Offsets.Enqueue(context.Offset + i);
            }

            Contexts.Enqueue(context);
            context.Commit();
        }
    }

    /// <summary>True (with the error) when a commit through <paramref name="context"/> is refused.</summary>
    private static bool CommitIsRefused(EventContext context, out InvalidOperationException? error)
    {
        try
        {
            context.Commit();
            error = null;
            return false;
        }
        catch (InvalidOperationException e)
        {
            error = e;
            return true;
        }
    }

    /// <summary>Commits through the context at <c>failAt</c> and then throws, once; records every offset it is called with.</summary>
    private sealed class CommitThenThrowHandler(long failAt) : IContextHandler<TestEvent>
    {
        private readonly ConcurrentQueue<long> _offsets = new();
        private int _thrown;

        public long[] Offsets => [.. _offsets];

        public void OnEvent(ref readonly TestEvent @event, in EventContext context)
        {
            _offsets.Enqueue(context.Offset);
            if (context.Offset == failAt && Interlocked.Exchange(ref _thrown, 1) == 0)
            {
                context.Commit();
                throw new InvalidOperationException("fails once after committing through its context");
            }
        }
    }

    private sealed class AsyncCommittingHandler : IAsyncContextHandler<TestEvent>
    {
        private int _commits;
        private int _offThreadCommits;

        public int Commits => Volatile.Read(ref _commits);

        public int OffThreadCommits => Volatile.Read(ref _offThreadCommits);

        public EventContext Last { get; private set; }

        public async ValueTask OnEventAsync(TestEvent @event, EventContext context, CancellationToken cancellationToken)
        {
            int thread = Environment.CurrentManagedThreadId;
            await Task.Delay(1, cancellationToken);
            context.Commit();
            if (Environment.CurrentManagedThreadId != thread)
            {
                Interlocked.Increment(ref _offThreadCommits);
            }

            Last = context;
            Interlocked.Increment(ref _commits);
        }
    }

    private sealed class Tally
    {
        public long Count;
        public long OffsetSum;
        public long AllocatedAtWarmup = -1;
        public long AllocatedAtLastBatch = -1;
    }

    /// <summary>Counts, commits at the end of each batch, and samples the thread's allocation counter.</summary>
    private readonly struct TallyContextHandler(Tally tally, long warmup) : IContextHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent @event, in EventContext context)
        {
            Tally t = tally;
            t.OffsetSum += context.Offset;
            long count = ++t.Count;
            if (count == warmup)
            {
                t.AllocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
            }

            if (context.EndOfBatch)
            {
                context.Commit();
                if (count > warmup)
                {
                    t.AllocatedAtLastBatch = GC.GetAllocatedBytesForCurrentThread();
                }
            }
        }
    }
}
