using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// Review of the transactions commit (e89a6f7): each test states a property the design claims and fails on main.
/// </summary>
public class TransactionReviewTests
{
    private static Topic<TestEvent> Output(int capacity = 1024) =>
        new(new TopicOptions { Name = "out", Capacity = capacity, PartitionCount = 1 });

    // ------------------------------------------------------------------ F1: a claim outlives its transaction

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void ClaimOfAnAbortedTransaction_PublishedAfterTheAbort_IsNeverHandedToReadCommitted(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        publisher.Begin();
        TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0);
        claim.Event = new TestEvent(1);
        publisher.Abort();
        bool threw = PublishCatching<TransactionException>(claim) is not null;

        Assert.True(threw, "publishing a claim of an ended transaction throws");
        // The claim's transaction aborted (and the publish threw): its event must never reach a read-committed reader.
        Assert.Empty(Drain(committed));
    }

    [Fact]
    public void ClaimOfACommittedTransaction_PublishedInsideTheNextOneThatAborts_IsNeverHandedToReadCommitted()
    {
        using Topic<TestEvent> topic = CreateTopic(partitions: 2);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        publisher.Begin();
        TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0);
        claim.Event = new TestEvent(1);
        publisher.Commit();
        publisher.Begin();
        publisher.PublishTo(topic, 1, new TestEvent(2));
        // The stale claim belongs to the committed transaction, not to the open one: its publish is refused and the
        // claim abandoned (on main it published silently, outside any transaction's entry).
        bool refused = PublishCatching<TransactionException>(claim) is not null;

        Assert.True(refused, "a claim of the committed transaction is refused inside the next one");
        publisher.Abort();

        Assert.Empty(Drain(committed));
    }

    // ------------------------------------------------------------------ F2: TryCommit throws after the decision

    [Fact]
    public void Commit_OffsetPastThePosition_ThrowsAndLeavesNoEffect_NotAStuckLastStableOffset()
    {
        using Topic<TestEvent> input = CreateTopic();
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator(TimeSpan.FromMilliseconds(200));
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        var errors = new ConcurrentQueue<Exception>();
        using var done = new ManualResetEventSlim();
        group.Join(new ActionHandler((e, partition, offset, _) =>
        {
            try
            {
                publisher.Begin();
                publisher.PublishTo(output, 0, new TestEvent(e.Value * 10));
                // A caller's mistake: past the position (the documented range is committed..position). Accepted here.
                publisher.SendOffsets(group, "txn", partition, offset + 5);
                publisher.Commit();
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
            finally
            {
                done.Set();
            }
        }));

        input[0].Publish(new TestEvent(1));
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        Assert.Single(errors);

        // Expected: the commit failed, so the transaction is aborted (or still open and the coordinator times it out);
        // the output's last stable offset moves on. Main: stuck in Committing, its entry open forever.
        Thread.Sleep(600);
        Assert.NotEqual(TransactionState.Committing, publisher.State);
        Assert.Equal(output[0].EndOffset, output[0].LastStableOffset);
    }

    // ------------------------------------------------------------------ F3: publisher fenced by the coordinator, member live

    [Fact]
    public void TransactionalMember_PublisherFencedMidBatch_OffsetsOfItsAbortedOutputsAreNeverCommitted()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        using var reached = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g" });
        for (int i = 1; i <= 5; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        GroupMember<TestEvent> member = group.JoinTransactional(
            new Transform(output, e =>
            {
                if (e.Value == 3 && !reached.IsSet)
                {
                    reached.Set();
                    release.Wait();
                }
            }),
            coordinator,
            memberId: "m1",
            groupInstanceId: "s1");

        Assert.True(reached.Wait(TimeSpan.FromSeconds(10)));
        // The static member's new instance (or anyone) takes the transactional id: the running member's publisher is fenced.
        using TransactionalPublisher successor = coordinator.CreatePublisher("g/s1");
        release.Set();

        // The member keeps its partition but can no longer dispatch: nothing is committed, nothing fails.
        Thread.Sleep(300);
        long stalled = group.GetCommittedOffset("txn", 0);
        MemberState state = member.State;

        // It leaves in good order: the loop's auto-commit commits its position (past the inputs whose outputs aborted).
        member.Leave();

        using PartitionReader<TestEvent> reader = output.CreateReader(0);
        List<long> outputs = Drain(reader);
        long committedInputs = group.GetCommittedOffset("txn", 0);
        // Exactly once: every committed input has its committed output.
        Assert.True(
            outputs.Count >= committedInputs,
            $"committed offset {committedInputs} but only {outputs.Count} committed outputs (stalled at {stalled}, member {state})");
    }

    // ------------------------------------------------------------------ F4: _stopBefore is one field for all partitions

    [Fact]
    public void TransactionalMember_TwoPartitions_PoisonEventIsRetriedOnlyAsThePolicySays()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 1024, partitions: 2);
        using Topic<TestEvent> output = Output(4096);
        using var coordinator = new TransactionCoordinator();
        int poisonCalls = 0;
        var policy = new ErrorPolicy { MaxAttempts = 2, AfterRetries = ErrorAction.Skip };
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", ErrorPolicy = policy, MaxBatchSize = 4 });
        for (int i = 1; i <= 5; i++)
        {
            input[0].Publish(new TestEvent(i));
        }

        for (int i = 1; i <= 400; i++)
        {
            input[1].Publish(new TestEvent(1000 + i));
        }

        input.Complete();
        group.JoinTransactional(
            new Transform(output, e =>
            {
                if (e.Value == 3)
                {
                    Interlocked.Increment(ref poisonCalls);
                    throw new InvalidOperationException("poison");
                }
            }),
            coordinator);

        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(30)));

        // Once inside its first batch, then MaxAttempts times first in its own batch.
        Assert.True(poisonCalls <= 1 + policy.MaxAttempts, $"the poison event's handler ran {poisonCalls} times");
    }

    // ------------------------------------------------------------------ F5: the coordinator's Aborting window is visible to the owner

    /// <summary>The partition's registration lock: holding it keeps a coordinator's abort inside its cleanup (state Aborting).</summary>
    private static object RegistrationLock(Partition<TestEvent> partition) =>
        typeof(Partition<TestEvent>).GetField("_registrationLock", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(partition)!;

    [Fact]
    public void PublishDuringTheCoordinatorsTimeOutAbort_ThrowsTransactionAborted_NotAMisuseError()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p", TimeSpan.FromMilliseconds(50));
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        object gate = RegistrationLock(topic[0]);
        Exception? ex = null;
        // A thread of its own: the pool may be busy (the coordinator's timer callback is blocked on a pool thread).
        var owner = new Thread(() => ex = Record.Exception(() => publisher.PublishTo(topic, 0, new TestEvent(2))));
        Monitor.Enter(gate);
        try
        {
            // The coordinator CASed Open -> Aborting and waits in RecordAborted for the lock we hold.
            Assert.True(SpinWait.SpinUntil(() => publisher.State == TransactionState.Aborting, TimeSpan.FromSeconds(5)));
            owner.Start();
            owner.Join(TimeSpan.FromMilliseconds(300));
        }
        finally
        {
            Monitor.Exit(gate);
        }

        Assert.True(owner.Join(TimeSpan.FromSeconds(5)));
        // The owner is told its transaction was aborted (what it catches and acknowledges), not that it misused the publisher.
        Assert.IsType<TransactionAbortedException>(ex);
    }

    [Fact]
    public void TransactionalMember_CommitRacesTheCoordinatorsTimeOutAbort_OffsetsAreNotCommittedWithoutTheOutputs()
    {
        using Topic<TestEvent> input = CreateTopic(capacity: 256);
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator(TimeSpan.FromMilliseconds(100));
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g" });
        GroupMember<TestEvent> member = group.JoinTransactional(
            // Slow batch: the coordinator times it out; the test holds its abort inside its cleanup (state Aborting) while
            // the member finishes the batch and commits.
            new Transform(output, waitForAborting: true),
            coordinator);

        object gate = RegistrationLock(output[0]);
        Monitor.Enter(gate);
        try
        {
            input[0].Publish(new TestEvent(1));
            Thread.Sleep(500);
        }
        finally
        {
            Monitor.Exit(gate);
        }

        // The member hands the timed-out batch out again and commits it (on main the abort escaped as a handler error:
        // the member faulted after committing the input offset without its output).
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("txn", 0) == 1 || member.State != MemberState.Running, TimeSpan.FromSeconds(10)));
        Thread.Sleep(200);
        Assert.Equal(MemberState.Running, member.State);
        using PartitionReader<TestEvent> reader = output.CreateReader(0);
        List<long> outputs = Drain(reader);
        long committedInputs = group.GetCommittedOffset("txn", 0);
        Assert.True(
            outputs.Count >= committedInputs,
            $"committed offset {committedInputs} but {outputs.Count} committed outputs (member {member.State}: {member.Fault?.Message})");
    }

    // ------------------------------------------------------------------ F6: a revocation does not fence a pending transaction's offsets

    [Fact]
    public void SendOffsets_ThenThePartitionMovesInGoodOrder_TheLateCommitIsRefused()
    {
        using Topic<TestEvent> input = CreateTopic();
        using Topic<TestEvent> output = Output();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        using var added = new ManualResetEventSlim();
        GroupMember<TestEvent> first = group.Join(new ActionHandler((e, partition, offset, _) =>
        {
            publisher.Begin();
            publisher.PublishTo(output, 0, new TestEvent(e.Value * 10));
            publisher.SendOffsets(group, "txn", partition, offset + 1);
            added.Set();
            // The commit is left to another thread (the publisher's thread), as a producer's transaction may be.
        }), memberId: "m1");
        input[0].Publish(new TestEvent(1));
        Assert.True(added.Wait(TimeSpan.FromSeconds(10)));
        var secondSaw = new ConcurrentQueue<long>();
        group.Join(new ActionHandler((e, _, offset, _) => secondSaw.Enqueue(offset)), memberId: "m2");
        first.Leave();
        Assert.True(SpinWait.SpinUntil(() => !secondSaw.IsEmpty, TimeSpan.FromSeconds(10)));

        // m2 owns the partition and handles offset 0 again: the transaction that carries m1's offset for it must not commit.
        var refused = Assert.Throws<TransactionAbortedException>(publisher.Commit);

        // Refused means aborted: the reason names the lost partition, the publisher is ready again, and the output the
        // transaction carried is never visible to read-committed readers.
        Assert.Contains("the member no longer owns", refused.Reason);
        Assert.Equal(TransactionState.Ready, publisher.State);
        Assert.Equal(1, output[0].LastStableOffset);
        using PartitionReader<TestEvent> outputReader = output.CreateReader(0);
        Assert.Empty(Drain(outputReader));
        Assert.Equal(1, outputReader.Aborted);
    }

    /// <summary>Publishes <c>value * 10</c> per input, then runs a delegate that may throw or block.</summary>
    private sealed class Transform(Topic<TestEvent> output, Action<TestEvent>? after = null, bool waitForAborting = false) : ITransactionalHandler<TestEvent>
    {
        private bool _waited;

        public void OnEvent(ref readonly TestEvent e, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
        {
            transaction.PublishTo(output, 0, new TestEvent(e.Value * 10));
            after?.Invoke(e);
            if (waitForAborting && !_waited)
            {
                _waited = true;
                SpinWait.SpinUntil(() => transaction.State == TransactionState.Aborting, TimeSpan.FromSeconds(5));
            }
        }
    }
}
