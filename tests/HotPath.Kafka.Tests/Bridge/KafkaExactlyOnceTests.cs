using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// Kafka → HotPath → Kafka with <c>KafkaSource.CommitOffsetsThrough</c>: a source, a transactional local member that
/// copies each input to an output topic, and a transactional mirror that commits the source's offsets in its Kafka
/// transactions. On librdkafka's mock cluster these check the call sequence (offsets sent before each commit), the
/// local bookkeeping (the source's committed offsets, the inputs read again after an aborted checkpoint) and the error
/// classes; the mock neither hides aborted records nor stores transactional offsets, so "each output once to a
/// read_committed consumer" after an abort and "the offsets are in Kafka" are checked only on a real cluster.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaExactlyOnceTests
{
    private const int PartitionCount = 3;
    private const int PerPartition = 20;
    private const int Total = PartitionCount * PerPartition;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(40);

    private readonly KafkaClusterFixture _cluster;
    private readonly ITestOutputHelper _output;

    public KafkaExactlyOnceTests(KafkaClusterFixture cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact(Timeout = 120_000)]
    public async Task Pipeline_OffsetsAreSentInTheTransactionThatCommitsTheirOutputs()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        // A slow local member and a slow mirror, so that a checkpoint that did not wait for either would be seen.
        await using Eos eos = await StartAsync("eos-happy", inject: null, cts.Token, TimeSpan.FromMilliseconds(10));

        await Waits.UntilAsync(eos.AllCommitted, s_phase, eos.Describe, cts.Token);

        Assert.Equal(0, eos.Mirror.TransactionAborts);
        Assert.Null(eos.Source.Fault);
        // Every SendOffsetsToTransaction is followed by the commit of that transaction, and both come once the local member
        // handled every input published and the mirror sent every output (the source waits meanwhile): the transaction
        // holds exactly the outputs of the inputs whose offsets it commits.
        List<(string Call, long InFlight)> calls = eos.Log.Calls;
        _output.WriteLine($"calls (in flight): {string.Join(", ", calls.Select(c => $"{c.Call} ({c.InFlight})"))}");
        Assert.Equal("init", calls[0].Call);
        Assert.Contains(calls, c => c.Call == "send_offsets");
        for (int i = 0; i < calls.Count; i++)
        {
            if (calls[i].Call == "send_offsets")
            {
                Assert.Equal("commit", calls[i + 1].Call);
                Assert.Equal((0L, 0L), (calls[i].InFlight, calls[i + 1].InFlight));
            }
        }

        Assert.Equal(Total, eos.Processed);
        Assert.Equal(Total, eos.Mirror.SentCount);
        // No transaction aborted: even the mock shows each output exactly once.
        List<BridgeEvent> outputs = CommittedReader.ReadAll(_cluster, eos.OutputTopic, PartitionCount, Total, s_phase, cts.Token);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i), outputs.Select(e => e.Index).Order());
        if (!_cluster.IsMock)
        {
            // Only a real cluster stores the offsets committed inside the transaction.
            Assert.All(eos.KafkaCommittedOffsets(), o => Assert.Equal(PerPartition, o));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task CheckpointAbortable_AbortsReadsTheInputsAgainAndCommitsEachOutputOnce()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using Eos eos = await StartAsync("eos-abortable", (call, n) => call == "commit" && n == 1 ? TransactionCallLog.Abortable() : null, cts.Token);

        await Waits.UntilAsync(eos.AllCommitted, s_phase, eos.Describe, cts.Token);

        Assert.Equal(1, eos.Mirror.TransactionAborts);
        Assert.Null(eos.Mirror.Fault);
        Assert.Null(eos.Source.Fault);
        // The source sought back to its last committed offsets: the local member handled some inputs twice.
        Assert.True(eos.Processed > Total, $"inputs were read again after the abort: processed {eos.Processed} of {Total}");
        List<BridgeEvent> outputs = CommittedReader.ReadAll(_cluster, eos.OutputTopic, PartitionCount, Total, s_phase, cts.Token);
        if (_cluster.IsMock)
        {
            // The mock keeps the aborted transaction's outputs visible: only "every output arrived" holds there.
            Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i), outputs.Select(e => e.Index).Distinct().Order());
        }
        else
        {
            Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i), outputs.Select(e => e.Index).Order());
            Assert.All(eos.KafkaCommittedOffsets(), o => Assert.Equal(PerPartition, o));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task SendOffsetsRetriable_IsRetriedWithoutAbort()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using Eos eos = await StartAsync("eos-retriable", (call, n) => call == "send_offsets" && n == 1 ? TransactionCallLog.Retriable() : null, cts.Token);

        await Waits.UntilAsync(eos.AllCommitted, s_phase, eos.Describe, cts.Token);

        Assert.Equal(1, eos.Mirror.TransactionRetries);
        Assert.Equal(0, eos.Mirror.TransactionAborts);
        Assert.Equal(Total, eos.Processed);
    }

    [Fact(Timeout = 120_000)]
    public async Task CheckpointFatal_FaultsMirrorAndSourceNamingTheTransactionalId()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using Eos eos = await StartAsync("eos-fatal", (call, _) => call == "commit" ? TransactionCallLog.Fatal() : null, cts.Token);

        await Waits.UntilAsync(() => eos.Source.Fault is not null, s_phase, eos.Describe, cts.Token);

        var mirrorFault = Assert.IsType<KafkaBridgeException>(eos.Mirror.Fault);
        Assert.Contains($"transactional id '{eos.TransactionalId}'", mirrorFault.Message, StringComparison.Ordinal);
        var sourceFault = Assert.IsType<KafkaBridgeException>(eos.Source.Fault);
        Assert.Contains($"transactional id '{eos.TransactionalId}'", sourceFault.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.ProducerFenced, sourceFault.ErrorCode);
        Assert.Equal(1, eos.Log.Count("commit"));
        Assert.All(Enumerable.Range(0, PartitionCount), p => Assert.Equal(-1, eos.Source.GetCommittedOffset(p)));
    }

    private async Task<Eos> StartAsync(
        string name, Func<string, int, Exception?>? inject, CancellationToken cancellationToken, TimeSpan delayPerEvent = default)
    {
        string inputTopic = KafkaClusterFixture.UniqueName(name + "-in");
        string outputTopic = KafkaClusterFixture.UniqueName(name + "-out");
        await _cluster.CreateTopicAsync(inputTopic, PartitionCount, cancellationToken);
        await _cluster.CreateTopicAsync(outputTopic, PartitionCount, cancellationToken);
        ProduceInputs(inputTopic);

        var eos = new Eos(_cluster, inputTopic, outputTopic, inject, delayPerEvent);
        eos.Source.CommitOffsetsThrough(eos.Mirror);
        await eos.Mirror.StartAsync(cancellationToken);
        await eos.Source.StartAsync(cancellationToken);
        return eos;
    }

    private void ProduceInputs(string topic)
    {
        var serializer = new UnmanagedEventSerializer<BridgeEvent>();
        using IProducer<byte[]?, byte[]> producer = new ProducerBuilder<byte[]?, byte[]>(_cluster.CreateProducerConfig()).Build();
        for (int i = 0; i < Total; i++)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            serializer.Serialize(new BridgeEvent { Index = i }, buffer);
            producer.Produce(new TopicPartition(topic, i % PartitionCount), new Message<byte[]?, byte[]> { Value = buffer.WrittenSpan.ToArray() });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(20)));
        _output.WriteLine($"produced {Total} inputs to {topic}");
    }

    /// <summary>Copies each input to the same partition of the output topic, inside the member's local transaction.</summary>
    private sealed class Copy(Topic<BridgeEvent> output, Action counted, TimeSpan delay) : ITransactionalHandler<BridgeEvent>
    {
        public void OnEvent(ref readonly BridgeEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
        {
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }

            transaction.PublishTo(output, partition, in @event);
            counted();
        }
    }

    /// <summary>The mirror's serializer, slowed down.</summary>
    private sealed class SlowSerializer(TimeSpan delay) : IEventSerializer<BridgeEvent>
    {
        private readonly UnmanagedEventSerializer<BridgeEvent> _inner = new();

        public void Serialize(in BridgeEvent value, System.Buffers.IBufferWriter<byte> output)
        {
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }

            _inner.Serialize(in value, output);
        }

        public BridgeEvent Deserialize(ReadOnlySpan<byte> data) => _inner.Deserialize(data);
    }

    private sealed class Eos : IAsyncDisposable
    {
        private readonly KafkaClusterFixture _cluster;
        private readonly string _sourceGroup = KafkaClusterFixture.UniqueName("eos-source");
        private readonly Topic<BridgeEvent> _in;
        private readonly Topic<BridgeEvent> _out;
        private readonly TransactionCoordinator _coordinator = new();
        private readonly ConsumerGroup<BridgeEvent> _processing;
        private readonly ConsumerGroup<BridgeEvent> _mirrorGroup;
        private long _processed;

        public Eos(KafkaClusterFixture cluster, string inputTopic, string outputTopic, Func<string, int, Exception?>? inject, TimeSpan delayPerEvent)
        {
            _cluster = cluster;
            OutputTopic = outputTopic;
            var serializer = new UnmanagedEventSerializer<BridgeEvent>();
            _in = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 256 });
            _out = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("out"), PartitionCount = PartitionCount, Capacity = 256 });
            _processing = new ConsumerGroup<BridgeEvent>(_in, new ConsumerGroupOptions { GroupId = "copy", MaxBatchSize = 8 });
            _processing.JoinTransactional(new Copy(_out, () => Interlocked.Increment(ref _processed), delayPerEvent), _coordinator);
            _mirrorGroup = new ConsumerGroup<BridgeEvent>(_out, new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual });
            TransactionalId = KafkaClusterFixture.UniqueName("eos-txn");
            Log = new TransactionCallLog(InFlight, inject);
            Mirror = new KafkaMirror<BridgeEvent>(
                _out, _mirrorGroup, new SlowSerializer(delayPerEvent), cluster.CreateProducerConfig(),
                new KafkaMirrorOptions { KafkaTopic = outputTopic, TransactionalId = TransactionalId, AckTimeout = TimeSpan.FromSeconds(15) });
            Mirror.TransactionCallHook = Log.OnCall;
            Source = new KafkaSource<BridgeEvent>(
                _in, serializer, cluster.CreateConsumerConfig(_sourceGroup),
                new KafkaSourceOptions { KafkaTopic = inputTopic, CommitInterval = TimeSpan.FromMilliseconds(100) });
        }

        public KafkaSource<BridgeEvent> Source { get; }

        public KafkaMirror<BridgeEvent> Mirror { get; }

        public TransactionCallLog Log { get; }

        public string OutputTopic { get; }

        public string TransactionalId { get; }

        public long Processed => Interlocked.Read(ref _processed);

        /// <summary>
        /// Inputs published locally and not yet committed by the local member, plus outputs published and not yet sent by
        /// the mirror (each group's committed offsets behind the end).
        /// </summary>
        public long InFlight() =>
            Enumerable.Range(0, PartitionCount).Sum(p =>
                _in[p].EndOffset - _processing.GetCommittedOffset(_in.Name, p) + _out[p].EndOffset - _mirrorGroup.GetCommittedOffset(_out.Name, p));

        public bool AllCommitted() => Enumerable.Range(0, PartitionCount).All(p => Source.GetCommittedOffset(p) == PerPartition);

        public string Describe() =>
            $"source committed [{string.Join(",", Enumerable.Range(0, PartitionCount).Select(Source.GetCommittedOffset))}], processed {Processed}, " +
            $"sent {Mirror.SentCount}, aborts {Mirror.TransactionAborts}, source fault {Source.Fault?.Message}, mirror fault {Mirror.Fault?.Message}, " +
            $"calls {Log.Sequence()}";

        /// <summary>The source group's offsets as Kafka stores them (a real cluster only: the mock does not store transactional offsets).</summary>
        public List<long> KafkaCommittedOffsets()
        {
            using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(_cluster.CreateConsumerConfig(_sourceGroup)).Build();
            List<TopicPartitionOffset> committed = consumer.Committed(
                Enumerable.Range(0, PartitionCount).Select(p => new TopicPartition(Source.KafkaTopic, p)), TimeSpan.FromSeconds(10));
            return committed.OrderBy(o => o.Partition.Value).Select(o => o.Offset.Value).ToList();
        }

        public ValueTask DisposeAsync()
        {
            // The source first: its last checkpoint goes through the mirror.
            Source.Dispose();
            Mirror.Dispose();
            _mirrorGroup.Dispose();
            _processing.Dispose();
            _coordinator.Dispose();
            _out.Dispose();
            _in.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
