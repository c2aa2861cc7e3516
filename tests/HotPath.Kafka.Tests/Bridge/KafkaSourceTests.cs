using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Kafka.Tests.Bridge;

[Collection(KafkaCollection.Name)]
public sealed class KafkaSourceTests
{
    private const int PartitionCount = 3;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(30);

    private readonly KafkaClusterFixture _cluster;
    private readonly ITestOutputHelper _output;
    private readonly UnmanagedEventSerializer<BridgeEvent> _serializer = new();

    public KafkaSourceTests(KafkaClusterFixture cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact(Timeout = 90_000)]
    public async Task Commit_TwoLocalGroupsOneSlow_KafkaCommittedNeverAheadOfSlowGroup()
    {
        const int Count = 300;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        string kafkaTopic = KafkaClusterFixture.UniqueName("source-slow");
        string kafkaGroup = KafkaClusterFixture.UniqueName("source");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        await ProduceAsync(kafkaTopic, Enumerable.Range(0, Count).Select(i => (i % PartitionCount, _serializer.ToBytes(new BridgeEvent { Index = i }))), cts.Token);

        using var gate = new ManualResetEventSlim(false);
        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 1024 });
        var fast = new EventRecorder(PartitionCount);
        var slow = new EventRecorder(PartitionCount, gate, TimeSpan.FromMilliseconds(2));
        using var fastGroup = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "fast" });
        using var slowGroup = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "slow", MaxBatchSize = 8 });
        fastGroup.Join(fast);
        slowGroup.Join(slow);
        using var checker = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateConsumerConfig(kafkaGroup)).Build();
        TopicPartition[] partitions = Enumerable.Range(0, PartitionCount).Select(p => new TopicPartition(kafkaTopic, p)).ToArray();

        try
        {
            using var source = new KafkaSource<BridgeEvent>(
                inbound, _serializer, _cluster.CreateConsumerConfig(kafkaGroup),
                new KafkaSourceOptions { KafkaTopic = kafkaTopic, CommitInterval = TimeSpan.FromMilliseconds(20) });
            await source.StartAsync(cts.Token);

            // Phase 1: the slow group is stuck on its first event, so nothing may be committed in Kafka.
            await Waits.UntilAsync(() => fast.Count == Count, s_phase, () => $"fast group handled {fast.Count}", cts.Token);
            for (int i = 0; i < 5; i++)
            {
                await Task.Delay(100, cts.Token);
                long[] kafka = await CommittedAsync(checker, partitions, cts.Token);
                Assert.All(kafka, c => Assert.True(c <= 0, $"Kafka committed {c} while the slow group handled nothing"));
                Assert.All(Enumerable.Range(0, PartitionCount), p => Assert.Equal(-1, source.GetCommittedOffset(p)));
            }

            // Phase 2: the slow group runs; Kafka's committed offset (read first) never passes its committed offset (read after).
            gate.Set();
            int samples = 0;
            int samplesBehindFast = 0;
            while (true)
            {
                long[] kafka = await CommittedAsync(checker, partitions, cts.Token);
                long[] slowCommitted = Enumerable.Range(0, PartitionCount).Select(p => slowGroup.GetCommittedOffset(inbound.Name, p)).ToArray();
                samples++;
                for (int p = 0; p < PartitionCount; p++)
                {
                    // A fresh local topic fed only by the source: local offset = Kafka offset.
                    Assert.True(kafka[p] <= slowCommitted[p], $"partition {p}: Kafka committed {kafka[p]} ahead of the slow group's {slowCommitted[p]}");
                    Assert.True(source.GetCommittedOffset(p) <= slowGroup.GetCommittedOffset(inbound.Name, p));
                }

                if (kafka.Sum() < Count)
                {
                    samplesBehindFast++;
                }

                if (kafka.All(c => c == Count / PartitionCount))
                {
                    break;
                }

                cts.Token.ThrowIfCancellationRequested();
                await Task.Delay(10, cts.Token);
            }

            _output.WriteLine($"samples: {samples}, of which with Kafka behind the fast group: {samplesBehindFast}");
            Assert.True(samplesBehindFast > 0);
            Assert.Null(source.Fault);
            for (int p = 0; p < PartitionCount; p++)
            {
                Assert.Equal(Enumerable.Range(0, Count).Where(i => i % PartitionCount == p).Select(i => (long)i), slow.Snapshot(p).Select(e => e.Event.Index));
            }
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Consume_RecordThatDoesNotDeserialize_FaultsWithLocationAndDoesNotCommitIt()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string kafkaTopic = KafkaClusterFixture.UniqueName("source-bad");
        string kafkaGroup = KafkaClusterFixture.UniqueName("source");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        await ProduceAsync(
            kafkaTopic,
            [(1, _serializer.ToBytes(new BridgeEvent { Index = 0 })), (1, _serializer.ToBytes(new BridgeEvent { Index = 1 })), (1, [1, 2, 3]),
             (1, _serializer.ToBytes(new BridgeEvent { Index = 3 }))],
            cts.Token);

        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 64 });
        var recorder = new EventRecorder(PartitionCount);
        using var group = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "app" });
        group.Join(recorder);
        var faults = new List<Exception>();
        var source = new KafkaSource<BridgeEvent>(
            inbound, _serializer, _cluster.CreateConsumerConfig(kafkaGroup),
            new KafkaSourceOptions { KafkaTopic = kafkaTopic, CommitInterval = TimeSpan.FromMilliseconds(20), OnFault = ex => { lock (faults) { faults.Add(ex); } } });
        await source.StartAsync(cts.Token);
        await Waits.UntilAsync(() => !source.IsRunning, s_phase, () => "source still running", cts.Token);
        source.Dispose();

        var fault = Assert.IsType<EventSerializationException>(source.Fault);
        Assert.Same(fault, Assert.Single(faults));
        Assert.Equal(kafkaTopic, fault.Topic);
        Assert.Equal(1, fault.Partition);
        Assert.Equal(2, fault.Offset);
        Assert.Equal([0L, 1L], recorder.Snapshot(1).Select(e => e.Event.Index));

        using var checker = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateConsumerConfig(kafkaGroup)).Build();
        long[] committed = await CommittedAsync(checker, [new TopicPartition(kafkaTopic, 1)], cts.Token);
        Assert.True(committed[0] <= 2, $"the bad record at offset 2 must stay uncommitted, committed={committed[0]}");
    }

    [Fact(Timeout = 60_000)]
    public async Task StartAsync_KafkaTopicWithOtherPartitionCount_ThrowsNamingBothCounts()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string kafkaTopic = KafkaClusterFixture.UniqueName("source-mismatch");
        await _cluster.CreateTopicAsync(kafkaTopic, 4, cts.Token);
        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = "local-in", PartitionCount = PartitionCount });
        using var source = new KafkaSource<BridgeEvent>(
            inbound, _serializer, _cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("source")), new KafkaSourceOptions { KafkaTopic = kafkaTopic });

        var ex = await Assert.ThrowsAsync<KafkaBridgeException>(() => source.StartAsync(cts.Token));
        Assert.Contains("local topic 'local-in' has 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"Kafka topic '{kafkaTopic}' has 4", ex.Message, StringComparison.Ordinal);
        Assert.False(source.IsRunning);
    }

    private async Task ProduceAsync(string topic, IEnumerable<(int Partition, byte[] Value)> records, CancellationToken cancellationToken)
    {
        using IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(_cluster.CreateProducerConfig()).Build();
        foreach ((int partition, byte[] value) in records)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, byte[]> { Value = value }, cancellationToken);
        }
    }

    private static Task<long[]> CommittedAsync(IConsumer<Ignore, byte[]> checker, TopicPartition[] partitions, CancellationToken cancellationToken) =>
        Task.Run(
            () => checker.Committed(partitions, TimeSpan.FromSeconds(10))
                .OrderBy(c => c.Partition.Value)
                .Select(c => c.Offset == Offset.Unset ? -1 : c.Offset.Value)
                .ToArray(),
            cancellationToken);
}
