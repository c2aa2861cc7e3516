using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// Consume-transform-produce with <c>JoinTransactional</c>: each batch's outputs and input offsets commit together, so a
/// read-committed reader of the outputs sees each input's output exactly once across handler exceptions, members declared
/// failed while hung in their handler, and rebalances; a read-uncommitted reader sees the aborted attempts' duplicates.
/// </summary>
public class TransactionalMemberTests
{
    /// <summary>Publishes <c>value * 10</c> per input, through a delegate that may throw or block first.</summary>
    private sealed class Transform(Topic<TestEvent> output, Action<TestEvent>? before = null) : ITransactionalHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent e, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
        {
            transaction.Publish(output, e.Value, new TestEvent(e.Value * 10));
            before?.Invoke(e);
        }
    }

    private static Topic<TestEvent> Output() =>
        new(new TopicOptions { Name = "out", Capacity = 1024, PartitionCount = 1 });

    private static List<long> DrainAll(Topic<TestEvent> topic, IsolationLevel isolation, out long aborted)
    {
        using PartitionReader<TestEvent> reader = topic.CreateReader(0, isolation: isolation);
        List<long> values = Drain(reader);
        aborted = reader.Aborted;
        return values;
    }

    /// <summary>
    /// Publishes the inputs 1 to <paramref name="inputs"/> after what <paramref name="input"/> holds, completes it, then
    /// joins one transactional member (after everything was published, so its first batch holds it all) whose handler
    /// runs <paramref name="before"/> after publishing each output; returns the group's stats once it drained.
    /// </summary>
    private static PartitionStats RunMemberOverInputs(
        Topic<TestEvent> input, Topic<TestEvent> output, ErrorPolicy policy, int inputs, Action<TestEvent> before)
    {
        for (int i = 1; i <= inputs; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        input.Complete();
        using var coordinator = new TransactionCoordinator();
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", ErrorPolicy = policy });
        group.JoinTransactional(new Transform(output, before), coordinator);
        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(20)), $"the group drained: {group.Completion.Status}");
        return Assert.Single(group.GetStats());
    }

    [Fact]
    public void HandlerThrowsMidBatch_OutputsOfTheAbortedAttemptNeverReachReadCommitted()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        int failures = 0;
        var policy = new ErrorPolicy { MaxAttempts = 5, InitialBackoff = TimeSpan.FromMilliseconds(1) };
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", ErrorPolicy = policy });
        group.JoinTransactional(
            new Transform(output, e =>
            {
                // The 6th input fails twice: once inside its first batch, once first in its own.
                if (e.Value == 6 && Interlocked.Increment(ref failures) <= 2)
                {
                    throw new InvalidOperationException("transient");
                }
            }),
            coordinator);

        using PartitionReader<TestEvent> committed = output.CreateReader(0);
        using PartitionReader<TestEvent> uncommitted = output.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);
        for (int i = 1; i <= 10; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        input.Complete();
        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(20)));

        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 10L), Drain(committed));
        // Outputs of 1..6, then of 6 alone: aborted.
        Assert.Equal(7, committed.Aborted);
        List<long> all = Drain(uncommitted);
        Assert.Equal(17, all.Count);
        Assert.Equal(new long[] { 10, 20, 30, 40, 50, 60 }, all.Take(6));
        Assert.Equal(10, group.GetCommittedOffset("txn", 0));
    }

    [Fact]
    public void HandlerThrowsAfterAbortedInputs_TheRetriedBatchCountsEachAbortedOffsetOnce()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using (var upstreamCoordinator = new TransactionCoordinator())
        using (TransactionalPublisher upstream = upstreamCoordinator.CreatePublisher("upstream"))
        {
            upstream.Begin();
            for (int i = 0; i < 3; i++)
            {
                upstream.PublishTo(input, 0, new TestEvent(-1));
            }

            upstream.Abort();
        }

        int failures = 0;
        var policy = new ErrorPolicy { MaxAttempts = 5, InitialBackoff = TimeSpan.FromMilliseconds(1) };
        // The first batch holds the three aborted offsets and the ten inputs; the failure at the 6th input hands the batch
        // out again from its start, stepping over the aborted offsets twice.
        PartitionStats stats = RunMemberOverInputs(input, output, policy, inputs: 10, e =>
        {
            if (e.Value == 6 && Interlocked.Increment(ref failures) == 1)
            {
                throw new InvalidOperationException("transient");
            }
        });

        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 10L), DrainAll(output, IsolationLevel.ReadCommitted, out _));
        Assert.Equal(3, stats.Aborted);
        Assert.Equal(13, stats.Committed);
    }

    [Fact]
    public void HandlerAlwaysThrowsOnOneEvent_SkipPolicy_ThatEventHasNoOutputAndTheOthersOneEach()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        var policy = new ErrorPolicy { MaxAttempts = 2, AfterRetries = ErrorAction.Skip };
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", ErrorPolicy = policy });
        group.JoinTransactional(new Transform(output, e => { if (e.Value == 4) throw new InvalidOperationException("poison"); }), coordinator);

        for (int i = 1; i <= 8; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        input.Complete();
        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(20)));

        Assert.Equal(new long[] { 10, 20, 30, 50, 60, 70, 80 }, DrainAll(output, IsolationLevel.ReadCommitted, out _));
        Assert.Equal(1, Assert.Single(group.GetStats()).Skipped);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void HandlerAlwaysThrowsInsideItsBatch_EachAttemptIsReportedAndThePolicyCountsThemAll(int maxAttempts)
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        var reported = new ConcurrentQueue<HandlerError>();
        int calls = 0;
        var policy = new ErrorPolicy
        {
            MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            AfterRetries = ErrorAction.Skip,
            OnError = reported.Enqueue,
        };

        // The poison event is the 4th of the first batch, not its first.
        PartitionStats stats = RunMemberOverInputs(input, output, policy, inputs: 8, e =>
        {
            if (e.Value == 4)
            {
                Interlocked.Increment(ref calls);
                throw new InvalidOperationException("poison");
            }
        });

        Assert.Equal(new long[] { 10, 20, 30, 50, 60, 70, 80 }, DrainAll(output, IsolationLevel.ReadCommitted, out _));
        Assert.Equal(maxAttempts, calls);
        Assert.Equal(Enumerable.Range(1, maxAttempts), reported.Select(e => e.Attempts));
        Assert.All(reported, e => Assert.Equal(3, e.Offset));
        Assert.Equal(maxAttempts - 1, stats.Retried);
        Assert.Equal(1, stats.Skipped);
    }

    [Fact]
    public void HandlerThrowsOnceInsideItsBatch_TheFailureIsReportedAndCountedAsRetried()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        var reported = new ConcurrentQueue<HandlerError>();
        int failures = 0;
        var policy = new ErrorPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(1), OnError = reported.Enqueue };

        PartitionStats stats = RunMemberOverInputs(input, output, policy, inputs: 8, e =>
        {
            if (e.Value == 4 && Interlocked.Increment(ref failures) == 1)
            {
                throw new InvalidOperationException("transient");
            }
        });

        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 10L), DrainAll(output, IsolationLevel.ReadCommitted, out _));
        HandlerError error = Assert.Single(reported);
        Assert.Equal((3L, 1, "transient"), (error.Offset, error.Attempts, error.Error.Message));
        Assert.Equal(1, stats.Retried);
    }

    [Fact]
    public void MemberHungPastSessionTimeout_ItsTransactionIsAbortedAndTheNextOwnerProducesEachOutputOnce()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        using var release = new ManualResetEventSlim();
        var failed = new ConcurrentQueue<MemberFailure>();
        int hangs = 0;
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions
        {
            GroupId = "g",
            SessionTimeout = TimeSpan.FromMilliseconds(200),
            OnMemberFailed = failed.Enqueue,
        });
        GroupMember<TestEvent> hung = group.JoinTransactional(
            new Transform(output, e =>
            {
                if (e.Value == 3 && Interlocked.Increment(ref hangs) == 1)
                {
                    release.Wait();
                }
            }),
            coordinator,
            memberId: "hung");

        for (int i = 1; i <= 6; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        // The first member publishes outputs for 1..3 and hangs; the watchdog fences it and aborts its transaction.
        Assert.True(SpinWait.SpinUntil(() => !failed.IsEmpty, TimeSpan.FromSeconds(10)));
        Assert.Equal(MemberState.Failed, hung.State);
        Assert.Equal(output[0].EndOffset, output[0].LastStableOffset);
        group.JoinTransactional(new Transform(output), coordinator, memberId: "next");
        input.Complete();
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("txn", 0) == 6, TimeSpan.FromSeconds(10)));

        // The hung handler returns and carries on publishing: fenced, nothing of it becomes visible.
        release.Set();
        Assert.True(SpinWait.SpinUntil(() => hung.Worker.HasExited, TimeSpan.FromSeconds(10)));

        Assert.Equal(new long[] { 10, 20, 30, 40, 50, 60 }, DrainAll(output, IsolationLevel.ReadCommitted, out long aborted));
        Assert.True(aborted >= 3, $"the hung member's outputs were aborted: {aborted}");
        Assert.Equal(6, group.GetCommittedOffset("txn", 0));
    }

    [Fact]
    public void SendOffsets_FromAThreadThatDoesNotOwnThePartition_ThrowsNamingTheOwner()
    {
        using Topic<TestEvent> input = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        group.Join(new ActionHandler((_, _, _, _) => { }), memberId: "m1");
        publisher.Begin();

        var ex = Assert.Throws<TransactionException>(() => publisher.SendOffsets(group, "txn", 0, 0));

        Assert.Contains("offsets for partition 0 of 'txn' in group 'g' cannot be added", ex.Message);
        Assert.Contains("owner: m1", ex.Message);
    }

    [Fact]
    public void SendOffsets_FromTheOwnersHandlerInManualMode_CommitsOffsetsWithTheOutputs()
    {
        using Topic<TestEvent> input = CreateTopic();
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        var errors = new ConcurrentQueue<Exception>();
        group.Join(new ActionHandler((e, partition, offset, _) =>
        {
            try
            {
                publisher.Begin();
                publisher.Publish(output, e.Value, new TestEvent(e.Value * 10));
                publisher.SendOffsets(group, "txn", partition, offset + 1);
                if (e.Value == 2)
                {
                    publisher.Abort();
                    return;
                }

                publisher.Commit();
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }));

        input[0].Publish(new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("txn", 0) == 1, TimeSpan.FromSeconds(10)));
        input[0].Publish(new TestEvent(2));
        input[0].Publish(new TestEvent(3));
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("txn", 0) == 3, TimeSpan.FromSeconds(10)));

        Assert.Empty(errors);
        Assert.Equal(new long[] { 10, 30 }, DrainAll(output, IsolationLevel.ReadCommitted, out long aborted));
        Assert.Equal(1, aborted);
    }

    [Fact]
    public void PublisherOfATransactionalMember_BeginCommitOrAbortFromTheHandler_Throw()
    {
        using Topic<TestEvent> input = CreateTopic();
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        var errors = new ConcurrentQueue<Exception>();
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g" });
        group.JoinTransactional(new Transform(output, _ => { }), coordinator);
        group.JoinTransactional(new CommitFromHandler(errors), coordinator, memberId: "x");
        GroupMember<TestEvent> only = Assert.Single(group.Members, m => m.MemberId == "x");
        group.Members.Where(m => m.MemberId != "x").ToList().ForEach(m => m.Leave());

        input[0].Publish(new TestEvent(1));
        Assert.True(SpinWait.SpinUntil(() => errors.Count == 3, TimeSpan.FromSeconds(10)));

        Assert.All(errors, e => Assert.Contains("belongs to member 'x' of group 'g', which begins and commits", e.Message));
    }

    [Fact]
    public void JoinTransactional_LossyGroup_Throws()
    {
        using Topic<TestEvent> input = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", Lossy = true });

        var ex = Assert.Throws<InvalidOperationException>(() => group.JoinTransactional(new Transform(input), coordinator));

        Assert.Contains("lossy", ex.Message);
    }

    [Fact]
    public void Options_LossyAndReadCommitted_AreRefusedNamingTheOption()
    {
        var options = new ConsumerGroupOptions { GroupId = "g", Lossy = true, Isolation = IsolationLevel.ReadCommitted };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Isolation", ex.ParamName);
        Assert.Contains("Lossy=true", ex.Message);
    }

    private sealed class CommitFromHandler(ConcurrentQueue<Exception> errors) : ITransactionalHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent e, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
        {
            foreach (Action call in new Action[] { transaction.Begin, transaction.Commit, transaction.Abort })
            {
                try
                {
                    call();
                }
                catch (TransactionException ex)
                {
                    errors.Enqueue(ex);
                }
            }
        }
    }
}
