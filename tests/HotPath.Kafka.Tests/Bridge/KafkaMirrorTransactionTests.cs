using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// The transactional mirror: the call sequence (InitTransactions, then Begin/Commit per batch), the local commit only
/// after Kafka's, and what each class of error does (retriable: the call again; abortable: abort and the batch again;
/// fatal: a fault naming the transactional id). Failures are injected through the mirror's test hook in place of the
/// client's call, so these run on librdkafka's mock cluster; what only a real cluster shows (aborted records hidden
/// from read_committed consumers, fencing of a second instance) is checked only when HOTPATH_KAFKA_BOOTSTRAP is set.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaMirrorTransactionTests
{
    private const int PartitionCount = 3;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(30);

    private readonly KafkaClusterFixture _cluster;
    private readonly ITestOutputHelper _output;

    public KafkaMirrorTransactionTests(KafkaClusterFixture cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact(Timeout = 90_000)]
    public async Task Batches_EachIsOneTransaction_LocalOffsetMovesOnlyAfterKafkaCommitted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline p = await StartAsync("txn-batches", inject: null, cts.Token, snapshotPartition: 1);

        for (int wave = 0; wave < 3; wave++)
        {
            PublishTo(p.Local, partition: 1, from: wave * 10, count: 10);
            await Waits.UntilAsync(() => p.Group.GetCommittedOffset(p.Local.Name, 1) == (wave + 1) * 10, s_phase, () => p.Log.Sequence(), cts.Token);
        }

        List<(string Call, long Snapshot)> calls = p.Log.Calls;
        Assert.Equal("init", calls[0].Call);
        Assert.Equal(0, p.Log.Count("abort"));
        Assert.Equal(p.Log.Count("begin"), p.Log.Count("commit"));
        Assert.True(p.Log.Count("commit") >= 3, p.Log.Sequence());
        // Each transaction: begin, commit; the local offset read at the commit call is still the one read at begin.
        for (int i = 1; i < calls.Count; i += 2)
        {
            Assert.Equal(("begin", "commit"), (calls[i].Call, calls[i + 1].Call));
            Assert.Equal(calls[i].Snapshot, calls[i + 1].Snapshot);
        }

        Assert.Equal(30, p.Mirror.SentCount);
        List<BridgeEvent> inKafka = CommittedReader.ReadAll(_cluster, p.KafkaTopic, PartitionCount, 30, s_phase, cts.Token);
        // No transaction aborted, so even the mock shows each record exactly once.
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), inKafka.Select(e => e.Index));
    }

    [Fact(Timeout = 90_000)]
    public async Task CommitRetriable_TheCommitIsRetriedNotAborted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline p = await StartAsync(
            "txn-retriable", (call, n) => call == "commit" && n <= 2 ? TransactionCallLog.Retriable() : null, cts.Token, publishFirst: (0, 10));

        await Waits.UntilAsync(() => p.Group.GetCommittedOffset(p.Local.Name, 0) == 10, s_phase, () => p.Log.Sequence(), cts.Token);

        Assert.Equal(2, p.Mirror.TransactionRetries);
        Assert.Equal(0, p.Mirror.TransactionAborts);
        Assert.Equal("init,begin,commit,commit,commit", p.Log.Sequence());
        Assert.Null(p.Mirror.Fault);
        List<BridgeEvent> inKafka = CommittedReader.ReadAll(_cluster, p.KafkaTopic, PartitionCount, 10, s_phase, cts.Token);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), inKafka.Select(e => e.Index));
    }

    [Fact(Timeout = 90_000)]
    public async Task CommitAbortable_AbortsAndSendsTheBatchAgainInANewTransaction()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        // The local committed offset at each call: nothing moves before the second attempt's commit succeeded.
        using Pipeline p = await StartAsync(
            "txn-abortable",
            (call, n) => call == "commit" && n == 1 ? TransactionCallLog.Abortable() : null,
            cts.Token,
            snapshotPartition: 2,
            publishFirst: (2, 10));

        await Waits.UntilAsync(() => p.Group.GetCommittedOffset(p.Local.Name, 2) == 10, s_phase, () => p.Log.Sequence(), cts.Token);

        Assert.Equal("init,begin,commit,abort,begin,commit", p.Log.Sequence());
        Assert.All(p.Log.Calls.Skip(1), c => Assert.Equal(0, c.Snapshot));
        Assert.Equal(1, p.Mirror.TransactionAborts);
        // The second transaction carried the whole batch again (its deliveries are what SentCount counts).
        Assert.Equal(10, p.Mirror.SentCount);
        Assert.Null(p.Mirror.Fault);
        List<BridgeEvent> inKafka = CommittedReader.ReadAll(_cluster, p.KafkaTopic, PartitionCount, 10, s_phase, cts.Token);
        if (_cluster.IsMock)
        {
            // The mock keeps the aborted attempt's records visible: only "every event arrived" holds there.
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), inKafka.Select(e => e.Index).Distinct().Order());
        }
        else
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), inKafka.Select(e => e.Index));
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task CommitAbortableEveryTime_FaultsAfterMaxAttemptsWithTheBatchUncommitted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline p = await StartAsync("txn-abort-always", (call, _) => call == "commit" ? TransactionCallLog.Abortable() : null, cts.Token);

        PublishTo(p.Local, partition: 0, from: 0, count: 5);
        await Waits.UntilAsync(() => p.Mirror.Fault is not null, s_phase, () => p.Log.Sequence(), cts.Token);

        var fault = Assert.IsType<KafkaBridgeException>(p.Mirror.Fault);
        Assert.Contains($"aborted {KafkaMirror<BridgeEvent>.MaxTransactionAttempts} times", fault.Message, StringComparison.Ordinal);
        Assert.Contains($"transactional id '{p.TransactionalId}'", fault.Message, StringComparison.Ordinal);
        Assert.Equal(KafkaMirror<BridgeEvent>.MaxTransactionAttempts, p.Log.Count("commit"));
        Assert.Equal(KafkaMirror<BridgeEvent>.MaxTransactionAttempts, p.Mirror.TransactionAborts);
        Assert.Equal(0, p.Group.GetCommittedOffset(p.Local.Name, 0));
    }

    [Theory(Timeout = 90_000)]
    [InlineData(ErrorCode.ProducerFenced, true)]
    [InlineData(ErrorCode.Local_Fatal, true)]
    [InlineData(ErrorCode.Local_State, false)]
    public async Task CommitFatalOrUnclassified_FaultsNamingTransactionalIdWithoutAbortOrLocalCommit(ErrorCode code, bool fatal)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline p = await StartAsync(
            "txn-fatal", (call, _) => call == "commit" ? (fatal ? TransactionCallLog.Fatal(code) : new KafkaException(code)) : null, cts.Token);

        PublishTo(p.Local, partition: 1, from: 0, count: 5);
        await Waits.UntilAsync(() => p.Mirror.Fault is not null, s_phase, () => p.Log.Sequence(), cts.Token);

        var fault = Assert.IsType<KafkaBridgeException>(p.Mirror.Fault);
        Assert.Equal(code, fault.ErrorCode);
        Assert.Contains($"CommitTransaction failed for transactional id '{p.TransactionalId}'", fault.Message, StringComparison.Ordinal);
        Assert.Equal("init,begin,commit", p.Log.Sequence());
        Assert.Equal(0, p.Group.GetCommittedOffset(p.Local.Name, 1));
    }

    [Fact(Timeout = 60_000)]
    public async Task InitTransactionsFatal_StartFailsNamingTransactionalId()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string kafkaTopic = KafkaClusterFixture.UniqueName("txn-init");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        using var local = NewLocal();
        using var group = NewGroup(local);
        string id = KafkaClusterFixture.UniqueName("txn-id");
        using var mirror = new KafkaMirror<BridgeEvent>(
            local, group, new UnmanagedEventSerializer<BridgeEvent>(), _cluster.CreateProducerConfig(),
            new KafkaMirrorOptions { KafkaTopic = kafkaTopic, TransactionalId = id });
        mirror.TransactionCallHook = call => call == "init" ? TransactionCallLog.Fatal() : null;

        var ex = await Assert.ThrowsAsync<KafkaBridgeException>(() => mirror.StartAsync(cts.Token));
        Assert.Contains($"InitTransactions failed for transactional id '{id}'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(group.Members);
    }

    [Fact(Timeout = 90_000)]
    public async Task AbortedLocalTransaction_IsNeverMirrored()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline p = await StartAsync("txn-local-abort", inject: null, cts.Token);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("app");

        foreach ((int from, bool commit) in new[] { (0, true), (100, false), (3, true) })
        {
            publisher.Begin();
            for (int i = from; i < from + 3; i++)
            {
                publisher.PublishTo(p.Local, 0, new BridgeEvent { Index = i });
            }

            if (commit)
            {
                publisher.Commit();
            }
            else
            {
                publisher.Abort();
            }
        }

        // The aborted local offsets 3..5 are stepped over; the mirror commits up to the end.
        await Waits.UntilAsync(() => p.Group.GetCommittedOffset(p.Local.Name, 0) == 9, s_phase, () => p.Log.Sequence(), cts.Token);
        List<BridgeEvent> inKafka = CommittedReader.ReadAll(_cluster, p.KafkaTopic, PartitionCount, 6, s_phase, cts.Token);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, inKafka.Select(e => e.Index));
    }

    [Fact(Timeout = 90_000)]
    public async Task RealCluster_SecondMirrorWithTheSameTransactionalId_FencesTheFirst()
    {
        if (_cluster.IsMock)
        {
            _output.WriteLine("librdkafka's mock cluster does not fence a second transactional producer: run with HOTPATH_KAFKA_BOOTSTRAP.");
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        using Pipeline first = await StartAsync("txn-fence", inject: null, cts.Token);
        PublishTo(first.Local, partition: 0, from: 0, count: 3);
        await Waits.UntilAsync(() => first.Group.GetCommittedOffset(first.Local.Name, 0) == 3, s_phase, () => first.Log.Sequence(), cts.Token);

        using var local = NewLocal();
        using var group = NewGroup(local);
        using var second = new KafkaMirror<BridgeEvent>(
            local, group, new UnmanagedEventSerializer<BridgeEvent>(), _cluster.CreateProducerConfig(),
            new KafkaMirrorOptions { KafkaTopic = first.KafkaTopic, TransactionalId = first.TransactionalId });
        await second.StartAsync(cts.Token);

        PublishTo(first.Local, partition: 0, from: 3, count: 3);
        await Waits.UntilAsync(() => first.Mirror.Fault is not null, s_phase, () => first.Log.Sequence(), cts.Token);
        var fault = Assert.IsType<KafkaBridgeException>(first.Mirror.Fault);
        Assert.Contains($"transactional id '{first.TransactionalId}'", fault.Message, StringComparison.Ordinal);
        Assert.Equal(3, first.Group.GetCommittedOffset(first.Local.Name, 0));
    }

    /// <summary>
    /// Creates the local topic, its group and the transactional mirror. With <paramref name="publishFirst"/>, those events
    /// (indexes 0 to count - 1 on the partition) are published before the mirror joins, so its first batch holds them all:
    /// a test that expects one transaction for them does not depend on how fast the member wakes. With
    /// <paramref name="snapshotPartition"/>, each transaction call records the group's committed offset of that partition.
    /// </summary>
    private async Task<Pipeline> StartAsync(
        string name,
        Func<string, int, Exception?>? inject,
        CancellationToken cancellationToken,
        int? snapshotPartition = null,
        (int Partition, int Count)? publishFirst = null)
    {
        string kafkaTopic = KafkaClusterFixture.UniqueName(name);
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cancellationToken);
        var local = NewLocal();
        var group = NewGroup(local);
        if (publishFirst is (int partition, int count))
        {
            PublishTo(local, partition, from: 0, count);
        }

        string id = KafkaClusterFixture.UniqueName("txn-id");
        Func<long>? snapshot = snapshotPartition is int watched ? () => group.GetCommittedOffset(local.Name, watched) : null;
        var log = new TransactionCallLog(snapshot, inject);
        var mirror = new KafkaMirror<BridgeEvent>(
            local, group, new UnmanagedEventSerializer<BridgeEvent>(), _cluster.CreateProducerConfig(),
            new KafkaMirrorOptions { KafkaTopic = kafkaTopic, TransactionalId = id, AckTimeout = TimeSpan.FromSeconds(15) });
        mirror.TransactionCallHook = log.OnCall;
        await mirror.StartAsync(cancellationToken);
        return new Pipeline(local, group, mirror, log, kafkaTopic, id);
    }

    private static void PublishTo(Topic<BridgeEvent> topic, int partition, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            topic.PublishTo(partition, new BridgeEvent { Index = i });
        }
    }

    private static Topic<BridgeEvent> NewLocal() =>
        new(new TopicOptions { Name = KafkaClusterFixture.UniqueName("local"), PartitionCount = PartitionCount, Capacity = 256, PublishMode = PublishMode.MultiWriter });

    private static ConsumerGroup<BridgeEvent> NewGroup(Topic<BridgeEvent> topic) =>
        new(topic, new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual, MaxBatchSize = 64 });

    private sealed record Pipeline(
        Topic<BridgeEvent> Local, ConsumerGroup<BridgeEvent> Group, KafkaMirror<BridgeEvent> Mirror, TransactionCallLog Log, string KafkaTopic, string TransactionalId)
        : IDisposable
    {
        public void Dispose()
        {
            Mirror.Dispose();
            Group.Dispose();
            Local.Dispose();
        }
    }
}
