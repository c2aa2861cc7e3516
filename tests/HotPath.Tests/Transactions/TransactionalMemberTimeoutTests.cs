using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// A transactional member whose transaction the coordinator times out hands the batch out again (see
/// <c>ITransactionalHandler</c>): the time-out is not the handler's error, whatever the error policy. The exactly-once
/// pipeline stress test met it as members faulting on <see cref="TransactionAbortedException"/>; the commit that races
/// the time-out's abort is <c>TransactionReviewTests</c>'.
/// </summary>
public class TransactionalMemberTimeoutTests
{
    /// <summary>
    /// The coordinator times the transaction out while the batch's first publish waits for room in the output ring (a
    /// reader of the output is behind): the publish throws <see cref="TransactionAbortedException"/> at the first event of
    /// the batch.
    /// </summary>
    [Theory]
    [InlineData("stop member")]
    [InlineData("skip")]
    public void FirstPublishOfABatch_TimedOutWhileWaitingForRoom_EventHandedOutAgain(string policyName)
    {
        ErrorPolicy policy = policyName == "skip" ? new ErrorPolicy { AfterRetries = ErrorAction.Skip } : ErrorPolicy.Default;
        using Topic<TestEvent> input = CreateTopic(capacity: 64);
        using Topic<TestEvent> output = new(new TopicOptions { Name = "out", Capacity = 4, PartitionCount = 1 });
        using var coordinator = new TransactionCoordinator(TimeSpan.FromMilliseconds(50));
        using PartitionReader<TestEvent> behind = output.CreateReader(0);
        for (int i = 0; i < 4; i++)
        {
            output[0].Publish(new TestEvent(-1));
        }

        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", ErrorPolicy = policy });
        GroupMember<TestEvent> member = group.JoinTransactional(new Transform(output), coordinator, memberId: "m1");
        input[0].Publish(new TestEvent(1));
        // The member's first publish waits for room; the coordinator times its transaction out meanwhile.
        TransactionalPublisher publisher = ((TransactionalMemberWorker<TestEvent, Transform>)member.Worker).Publisher;
        Assert.True(SpinWait.SpinUntil(() => publisher.State == TransactionState.Aborted, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, group.GetCommittedOffset("txn", 0));
        var outputs = new List<long>();
        Assert.True(
            SpinWait.SpinUntil(
                () =>
                {
                    while (behind.TryRead(out TestEvent e, out _))
                    {
                        outputs.Add(e.Value);
                    }

                    return group.GetCommittedOffset("txn", 0) == 1 && outputs.Count > 4;
                },
                TimeSpan.FromSeconds(5)),
            $"input 1 committed ({group.GetCommittedOffset("txn", 0)}) with its output: read-committed [{string.Join(", ", outputs)}]; m1 {member.State} {member.Fault?.GetType().Name}");
        Assert.Equal([-1L, -1, -1, -1, 10], outputs);
        Assert.Equal(MemberState.Running, member.State);
    }

    /// <summary>Publishes <c>value * 10</c> per input.</summary>
    private sealed class Transform(Topic<TestEvent> output) : ITransactionalHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent e, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction) =>
            transaction.Publish(output, e.Value, new TestEvent(e.Value * 10));
    }
}
