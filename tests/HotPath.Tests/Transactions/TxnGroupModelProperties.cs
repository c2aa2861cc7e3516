using FsCheck;
using FsCheck.Fluent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Transactions;

/// <summary>
/// The group-level model-based property of transactions: random scripts against a consume-transform-produce stage joined
/// with <c>JoinTransactional</c> (handler exceptions retried, skipped or stopping the member, handlers hung past the
/// session time-out, joins and leaves), checked at the end against the plain model of the inputs (see
/// <see cref="TxnGroupRun"/>). Threads and time-outs are involved: few cases, each bounded in time, no shrinking.
/// HOTPATH_TXN_MODEL_CASES sets the number of cases (default <see cref="DefaultCases"/>).
/// </summary>
public sealed class TxnGroupModelProperties
{
    public const int DefaultCases = 30;

    [Fact]
    public void ConsumeTransformProduce_EachOutputOnceInInputOrder_MatchesTheModel()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_TXN_MODEL_CASES"), out int n) && n > 0 ? n : DefaultCases;
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(cases),
            Prop.ForAll(TxnGroupScenario.Arbitrary, scenario => new TxnGroupRun(scenario).Execute()));
    }

    /// <summary>
    /// The smallest case behind <see cref="TxnGroupScenario.PoisonOnSeveralPartitions"/>: one transactional member owns two
    /// partitions whose handler fails past the first event of a batch (at offset 2 of one, 3 of the other). Each failure
    /// splits its batch by setting the offset the next batch must stop before, but that offset is one field for the member:
    /// the other partition's dispatch uses and clears it, so neither failing input is ever first in its batch, neither
    /// reaches the error policy (skip after 2 attempts), and both are retried at once, forever; the group never drains.
    /// </summary>
    [Fact]
    public void HandlerFailsMidBatchOnTwoPartitionsOfOneMember_EachFailingInputIsSkipped()
    {
        using var input = new Topic<TestEvent>(new TopicOptions { Name = "in", PartitionCount = 2, Capacity = 16 });
        using var output = new Topic<TestEvent>(new TopicOptions { Name = "out", Capacity = 64 });
        using var coordinator = new TransactionCoordinator();
        using PartitionReader<TestEvent> reader = output.CreateReader(0);
        var policy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(1), AfterRetries = ErrorAction.Skip };
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", MaxBatchSize = 8, ErrorPolicy = policy });
        int calls = 0;
        for (int i = 0; i < 5; i++)
        {
            input.PublishTo(0, new TestEvent(i));
            input.PublishTo(1, new TestEvent(10 + i));
        }

        input.Complete();
        group.JoinTransactional(new PoisonHandler(output, e => e is 2 or 13, () => Interlocked.Increment(ref calls)), coordinator);

        bool drained = group.Completion.Wait(TimeSpan.FromSeconds(10));

        Assert.True(drained, $"the group drained; {Volatile.Read(ref calls)} handler calls, {string.Join("; ", group.GetStats())}");
        Assert.Equal([0L, 1L, 3L, 4L, 10L, 11L, 12L, 14L], TransactionVisibilityTests.Drain(reader).Order());
    }

    /// <summary>
    /// The smallest case behind the hand-written stage's lack of poison inputs (<see cref="TxnGroupScenario.Fault.Poison"/>):
    /// SendOffsets needs CommitMode.Manual, in which the member commits nothing itself; when the error policy skips the
    /// partition's last input, nobody commits past it (the handler never returned for it), so the committed offset stays
    /// below the end and the group never drains.
    /// </summary>
    [Fact]
    public void HandWrittenStage_LastInputSkipped_TheGroupDrains()
    {
        using var input = new Topic<TestEvent>(new TopicOptions { Name = "in", Capacity = 16 });
        using var output = new Topic<TestEvent>(new TopicOptions { Name = "out", Capacity = 16 });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("stage");
        var policy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(1), AfterRetries = ErrorAction.Skip };
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual, ErrorPolicy = policy });
        group.Join(new ActionHandler((e, partition, offset, _) =>
        {
            publisher.Begin();
            try
            {
                publisher.PublishTo(output, 0, new TestEvent(e.Value));
                publisher.SendOffsets(group, "in", partition, offset + 1);
                if (e.Value == 2)
                {
                    throw new InvalidOperationException("poison");
                }

                publisher.Commit();
            }
            catch (InvalidOperationException)
            {
                publisher.Abort();
                throw;
            }
        }));
        input.PublishTo(0, new TestEvent(1));
        input.PublishTo(0, new TestEvent(2));

        bool drained = input.CompleteAsync().Wait(TimeSpan.FromSeconds(5));

        Assert.True(drained, $"the group drained; committed {group.GetCommittedOffset("in", 0)}, {string.Join("; ", group.GetStats())}");
    }

    private sealed class PoisonHandler(Topic<TestEvent> output, Func<long, bool> poison, Action called) : ITransactionalHandler<TestEvent>
    {
        public void OnEvent(ref readonly TestEvent e, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
        {
            called();
            transaction.PublishTo(output, 0, new TestEvent(e.Value));
            if (poison(e.Value))
            {
                throw new InvalidOperationException($"poison {e.Value}");
            }
        }
    }
}
