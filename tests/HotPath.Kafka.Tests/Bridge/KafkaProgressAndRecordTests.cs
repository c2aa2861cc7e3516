using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Topics;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// Waiting for the bridge instead of polling its counters (<see cref="KafkaMirror{T}.WaitMirroredAsync"/>,
/// <see cref="KafkaSource{T}.WaitCommittedAsync"/>), and the Kafka record behind a sourced event
/// (<see cref="KafkaSource{T}.TryGetRecord(in EventContext, out KafkaRecord)"/>), on the mock cluster.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaProgressAndRecordTests
{
    private const int PartitionCount = 3;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(30);

    private readonly KafkaClusterFixture _cluster;
    private readonly UnmanagedEventSerializer<BridgeEvent> _serializer = new();

    public KafkaProgressAndRecordTests(KafkaClusterFixture cluster) => _cluster = cluster;

    [Fact(Timeout = 60_000)]
    public async Task WaitMirroredAsync_AfterPublishing_CompletesWithEveryEventInKafka()
    {
        const int Count = 90;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string kafkaTopic = KafkaClusterFixture.UniqueName("mirror-wait");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        using var local = new Topic<BridgeEvent>(new TopicOptions { Name = "local-out", PartitionCount = PartitionCount });
        using var group = ManualGroup(local);
        using var mirror = new KafkaMirror<BridgeEvent>(
            local, group, _serializer, _cluster.CreateProducerConfig(), new KafkaMirrorOptions { KafkaTopic = kafkaTopic });
        await mirror.StartAsync(cts.Token);
        for (int i = 0; i < Count; i++)
        {
            local.PublishTo(i % PartitionCount, new BridgeEvent { Index = i });
        }

        await mirror.WaitMirroredAsync(cts.Token);

        // No polling: at completion the group committed every captured end offset, so Kafka acknowledged every event.
        Assert.All(Enumerable.Range(0, PartitionCount), p => Assert.Equal(Count / PartitionCount, group.GetCommittedOffset(local.Name, p)));
        Assert.Equal(Count, mirror.SentCount);
        List<ConsumeResult<byte[], byte[]>> records = KafkaReader.ReadAll(_cluster, kafkaTopic, PartitionCount, s_phase, cts.Token);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), records.Select(r => KafkaReader.Decode(r).Index).Order());

        // Nothing new published: the next wait completes at once.
        Assert.True(mirror.WaitMirroredAsync(cts.Token).IsCompletedSuccessfully);
    }

    [Fact(Timeout = 60_000)]
    public async Task WaitMirroredAsync_CancelledBeforeMirrored_CancelsOnlyTheWait()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string kafkaTopic = KafkaClusterFixture.UniqueName("mirror-wait-cancel");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        using var local = new Topic<BridgeEvent>(new TopicOptions { Name = "local-out", PartitionCount = PartitionCount });
        using var group = ManualGroup(local);
        using var mirror = new KafkaMirror<BridgeEvent>(
            local, group, _serializer, _cluster.CreateProducerConfig(), new KafkaMirrorOptions { KafkaTopic = kafkaTopic });
        for (int i = 0; i < 6; i++)
        {
            local.PublishTo(i % PartitionCount, new BridgeEvent { Index = i });
        }

        // Not started yet: nothing can be mirrored, so the wait runs until its token is cancelled.
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Task waiting = mirror.WaitMirroredAsync(shortWait.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            Assert.True(waiting.IsCanceled);
        }

        Assert.Equal(0, mirror.SentCount);
        await mirror.StartAsync(cts.Token);
        await mirror.WaitMirroredAsync(cts.Token);
        Assert.Equal(6, mirror.SentCount);
    }

    [Fact(Timeout = 60_000)]
    public async Task WaitMirroredAsync_MirrorDisposedFirst_FaultsWithObjectDisposed()
    {
        using var local = new Topic<BridgeEvent>(new TopicOptions { Name = "local-out", PartitionCount = PartitionCount });
        using var group = ManualGroup(local);
        var mirror = new KafkaMirror<BridgeEvent>(
            local, group, _serializer, _cluster.CreateProducerConfig(), new KafkaMirrorOptions { KafkaTopic = KafkaClusterFixture.UniqueName("never") });
        local.PublishTo(0, new BridgeEvent { Index = 1 });
        Task waiting = mirror.WaitMirroredAsync();
        Assert.False(waiting.IsCompleted);

        mirror.Dispose();

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        Assert.Contains("disposed before the awaited events were mirrored", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => mirror.WaitMirroredAsync());
    }

    [Fact(Timeout = 90_000)]
    public async Task WaitCommittedAsync_HandlersSeeRecords_KafkaCommittedReachesWhatWasConsumed()
    {
        const int Count = 60;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        string kafkaTopic = KafkaClusterFixture.UniqueName("source-wait");
        string kafkaGroup = KafkaClusterFixture.UniqueName("source");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        var traces = new Dictionary<int, ActivityTraceId>();
        using (IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(_cluster.CreateProducerConfig()).Build())
        {
            for (int i = 0; i < Count; i++)
            {
                var trace = ActivityTraceId.CreateRandom();
                traces[i] = trace;
                var headers = new Headers { { "traceparent", Encoding.UTF8.GetBytes($"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01") } };
                var message = new Message<byte[], byte[]>
                {
                    Key = Encoding.UTF8.GetBytes($"key-{i}"),
                    Value = _serializer.ToBytes(new BridgeEvent { Index = i }),
                    Headers = headers,
                    Timestamp = new Timestamp(1_700_000_000_000 + i, TimestampType.CreateTime),
                };
                await producer.ProduceAsync(new TopicPartition(kafkaTopic, i % PartitionCount), message, cts.Token);
            }
        }

        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 1024 });
        using var group = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "records" });
        using var source = new KafkaSource<BridgeEvent>(
            inbound, _serializer, _cluster.CreateConsumerConfig(kafkaGroup),
            new KafkaSourceOptions { KafkaTopic = kafkaTopic, CommitInterval = TimeSpan.FromMilliseconds(20) });
        var handler = new RecordingHandler(source);
        group.Join(handler);
        await source.StartAsync(cts.Token);
        await Waits.UntilAsync(() => handler.Seen.Count == Count, s_phase, () => $"handled {handler.Seen.Count}", cts.Token);

        await source.WaitCommittedAsync(cts.Token);

        // At completion Kafka's committed offsets (as the source last committed them, and as Kafka reports them) cover every record.
        Assert.All(Enumerable.Range(0, PartitionCount), p => Assert.Equal(Count / PartitionCount, source.GetCommittedOffset(p)));
        using (IConsumer<Ignore, byte[]> checker = new ConsumerBuilder<Ignore, byte[]>(_cluster.CreateConsumerConfig(kafkaGroup)).Build())
        {
            List<TopicPartitionOffset> committed = await Task.Run(
                () => checker.Committed(Enumerable.Range(0, PartitionCount).Select(p => new TopicPartition(kafkaTopic, p)), TimeSpan.FromSeconds(10)), cts.Token);
            Assert.All(committed, c => Assert.Equal(Count / PartitionCount, c.Offset.Value));
        }

        // Every handler call found its record: Kafka topic, partition and offset (a fresh local topic fed by the source
        // only: local offset = Kafka offset), key, the producer's trace context and the timestamp.
        foreach ((EventContext context, BridgeEvent e, KafkaRecord? record) in handler.Seen)
        {
            Assert.NotNull(record);
            KafkaRecord r = record.Value;
            Assert.Equal((kafkaTopic, context.Partition, context.Offset), (r.Topic, r.Partition, r.Offset));
            Assert.Equal($"key-{e.Index}", Encoding.UTF8.GetString(r.Key!));
            Assert.True(r.TryGetTraceContext(out ActivityContext trace));
            Assert.Equal(traces[(int)e.Index], trace.TraceId);
            Assert.True(trace.IsRemote);
            Assert.Equal(1_700_000_000_000 + e.Index, r.Timestamp.UnixTimestampMs);
        }

        // Consumed and committed already: the next wait completes at once.
        Assert.True(source.WaitCommittedAsync(cts.Token).IsCompletedSuccessfully);
    }

    [Fact(Timeout = 90_000)]
    public async Task WaitCommittedAsync_PartitionsRevokedBeforeCommit_FaultsNamingThePartition()
    {
        const int Count = 30;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        string kafkaTopic = KafkaClusterFixture.UniqueName("source-revoke");
        string kafkaGroup = KafkaClusterFixture.UniqueName("source");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        using (IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(_cluster.CreateProducerConfig()).Build())
        {
            for (int i = 0; i < Count; i++)
            {
                await producer.ProduceAsync(
                    new TopicPartition(kafkaTopic, i % PartitionCount), new Message<Null, byte[]> { Value = _serializer.ToBytes(new BridgeEvent { Index = i }) }, cts.Token);
            }
        }

        // The local group holds its first event: nothing the source consumed can be committed.
        using var gate = new ManualResetEventSlim(false);
        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 64 });
        using var group = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "held" });
        group.Join(new EventRecorder(PartitionCount, gate, TimeSpan.Zero));
        using var first = new KafkaSource<BridgeEvent>(
            inbound, _serializer, _cluster.CreateConsumerConfig(kafkaGroup), new KafkaSourceOptions { KafkaTopic = kafkaTopic, CommitInterval = TimeSpan.FromMilliseconds(20) });
        await first.StartAsync(cts.Token);
        await Waits.UntilAsync(() => inbound.Partitions.Sum(p => p.EndOffset) == Count, s_phase, () => "not all consumed", cts.Token);
        Task waiting = first.WaitCommittedAsync(cts.Token);

        // A second member of the Kafka group: the rebalance takes partitions from the first source before it could commit them.
        using var otherInbound = new Topic<BridgeEvent>(new TopicOptions { Name = KafkaClusterFixture.UniqueName("in2"), PartitionCount = PartitionCount, Capacity = 64 });
        using var second = new KafkaSource<BridgeEvent>(
            otherInbound, _serializer, _cluster.CreateConsumerConfig(kafkaGroup), new KafkaSourceOptions { KafkaTopic = kafkaTopic });
        await second.StartAsync(cts.Token);

        var error = await Assert.ThrowsAsync<KafkaBridgeException>(() => waiting.WaitAsync(s_phase, cts.Token));
        Assert.Contains($"of '{kafkaTopic}' was revoked in a Kafka rebalance before offset {Count / PartitionCount} was committed", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Partition);
        gate.Set();
    }

    [Fact]
    public void TryGetRecord_EventNotFromTheSource_ReturnsFalse()
    {
        using var inbound = new Topic<BridgeEvent>(new TopicOptions { Name = "local-in", PartitionCount = PartitionCount, Capacity = 16 });
        using var source = new KafkaSource<BridgeEvent>(inbound, _serializer, _cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("unused")));
        inbound.PublishTo(0, new BridgeEvent { Index = 1 });

        Assert.False(source.TryGetRecord(inbound.Name, 0, 0, out KafkaRecord record));
        Assert.Null(record.Topic);
        Assert.False(source.TryGetRecord("other-topic", 0, 0, out _));
        Assert.False(source.TryGetRecord(inbound.Name, PartitionCount, 0, out _));
        Assert.False(source.TryGetRecord(default(EventContext), out _));
    }

    private static ConsumerGroup<BridgeEvent> ManualGroup(Topic<BridgeEvent> topic) =>
        new(topic, new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual });

    /// <summary>Asks the source for the record of every event, during the call.</summary>
    private sealed class RecordingHandler(KafkaSource<BridgeEvent> source) : IContextHandler<BridgeEvent>
    {
        public ConcurrentQueue<(EventContext Context, BridgeEvent Event, KafkaRecord? Record)> Seen { get; } = new();

        public void OnEvent(ref readonly BridgeEvent @event, in EventContext context) =>
            Seen.Enqueue((context, @event, source.TryGetRecord(in context, out KafkaRecord record) ? record : null));
    }
}
