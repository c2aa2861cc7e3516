using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Partitioning;
using Partitioner = HotPath.Partitioning.Partitioner;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Kafka.Tests.Bridge;

[Collection(KafkaCollection.Name)]
public sealed class KafkaBridgeRoundTripTests
{
    private const int PartitionCount = 3;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(30);

    private readonly KafkaClusterFixture _cluster;
    private readonly ITestOutputHelper _output;
    private readonly UnmanagedEventSerializer<BridgeEvent> _serializer = new();

    public KafkaBridgeRoundTripTests(KafkaClusterFixture cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact(Timeout = 90_000)]
    public async Task MirrorThenSource_KeyedEvents_EachArrivesOnceInPartitionOrderOnKafkasPartition()
    {
        const int Count = 900;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        string kafkaTopic = KafkaClusterFixture.UniqueName("roundtrip");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);
        using var metrics = new BridgeMetrics(kafkaTopic);

        using var outbound = new Topic<BridgeEvent>(new TopicOptions
        {
            Name = KafkaClusterFixture.UniqueName("out"), PartitionCount = PartitionCount, Capacity = 1024, Partitioner = Partitioner.Kafka,
        });
        using var mirrorGroup = new ConsumerGroup<BridgeEvent>(outbound, new ConsumerGroupOptions
        {
            GroupId = "mirror", CommitMode = CommitMode.Manual, MaxBatchSize = 128,
        });
        using var mirror = new KafkaMirror<BridgeEvent>(
            outbound, mirrorGroup, _serializer, _cluster.CreateProducerConfig(),
            new KafkaMirrorOptions { KafkaTopic = kafkaTopic }, BridgeEvent.WriteKey);
        await mirror.StartAsync(cts.Token);

        using var inbound = new Topic<BridgeEvent>(new TopicOptions
        {
            Name = KafkaClusterFixture.UniqueName("in"), PartitionCount = PartitionCount, Capacity = 1024,
        });
        var recorder = new EventRecorder(PartitionCount);
        using var appGroup = new ConsumerGroup<BridgeEvent>(inbound, new ConsumerGroupOptions { GroupId = "app" });
        appGroup.Join(recorder);
        using var source = new KafkaSource<BridgeEvent>(
            inbound, _serializer, _cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("source")),
            new KafkaSourceOptions { KafkaTopic = kafkaTopic, CommitInterval = TimeSpan.FromMilliseconds(50) });
        await source.StartAsync(cts.Token);

        var expected = Enumerable.Range(0, PartitionCount).Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < Count; i++)
        {
            int keyId = (i * 7) % 41;
            PublishResult result = outbound.Publish(BridgeEvent.KeyOf(keyId), new BridgeEvent { KeyId = keyId, Index = i });
            Assert.Equal(KafkaPartitioner.PartitionForKey(Encoding.UTF8.GetBytes(BridgeEvent.KeyOf(keyId)), PartitionCount), result.Partition);
            expected[result.Partition].Add(i);
        }

        await Waits.UntilAsync(() => recorder.Count >= Count, s_phase, () => $"inbound handled {recorder.Count} of {Count}", cts.Token);
        await Waits.UntilAsync(
            () => Enumerable.Range(0, PartitionCount).All(p => source.GetCommittedOffset(p) == expected[p].Count),
            s_phase,
            () => "source commits: " + string.Join(",", Enumerable.Range(0, PartitionCount).Select(source.GetCommittedOffset)),
            cts.Token);

        Assert.Null(mirror.Fault);
        Assert.Null(source.Fault);
        Assert.Equal(Count, mirror.SentCount);
        for (int p = 0; p < PartitionCount; p++)
        {
            Assert.Equal(expected[p], recorder.Snapshot(p).Select(e => e.Event.Index));
            Assert.Equal(expected[p].Count, mirrorGroup.GetCommittedOffset(outbound.Name, p));
        }

        // Kafka itself: every record on the partition Kafka's own partitioner gives its key, once.
        List<ConsumeResult<byte[], byte[]>> records = await Task.Run(
            () => KafkaReader.ReadAll(_cluster, kafkaTopic, PartitionCount, s_phase, cts.Token), cts.Token);
        Assert.Equal(Count, records.Count);
        foreach (ConsumeResult<byte[], byte[]> record in records)
        {
            BridgeEvent e = KafkaReader.Decode(record);
            Assert.Equal(BridgeEvent.KeyOf(e.KeyId), Encoding.UTF8.GetString(record.Message.Key));
            Assert.Equal(KafkaPartitioner.PartitionForKey(record.Message.Key, PartitionCount), record.Partition.Value);
        }

        await Waits.UntilAsync(() => metrics.Consumed == Count, s_phase, () => $"consumed metric {metrics.Consumed}", cts.Token);
        Assert.Equal(Count, metrics.Sent);
        Assert.Equal(0, metrics.Errors);
        Assert.Equal(["0", "1", "2"], metrics.SentPartitions.Order());
    }

    [Fact(Timeout = 90_000)]
    public async Task SimulateCrash_MidStream_RestartedMirrorLeavesNothingMissingAndOnlyUncommittedDuplicated()
    {
        const int Half = 1500;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        string kafkaTopic = KafkaClusterFixture.UniqueName("crash");
        await _cluster.CreateTopicAsync(kafkaTopic, PartitionCount, cts.Token);

        using var outbound = new Topic<BridgeEvent>(new TopicOptions
        {
            Name = KafkaClusterFixture.UniqueName("out"), PartitionCount = PartitionCount, Capacity = 2048, Partitioner = Partitioner.Kafka,
        });
        // The group outlives the mirrors: its committed offsets are what a restarted process finds.
        using var group = new ConsumerGroup<BridgeEvent>(outbound, new ConsumerGroupOptions
        {
            GroupId = "mirror", CommitMode = CommitMode.Manual, MaxBatchSize = 64,
        });
        ProducerConfig producerConfig = _cluster.CreateProducerConfig();
        producerConfig.LingerMs = 20; // keep records in flight when the crash comes
        var options = new KafkaMirrorOptions { KafkaTopic = kafkaTopic };

        var localOffsetOf = new Dictionary<long, (int Partition, long Offset)>();
        void PublishRange(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                int keyId = i % 53;
                PublishResult r = outbound.Publish(BridgeEvent.KeyOf(keyId), new BridgeEvent { KeyId = keyId, Index = i });
                localOffsetOf[i] = (r.Partition, r.Offset);
            }
        }

        var first = new KafkaMirror<BridgeEvent>(outbound, group, _serializer, producerConfig, options, BridgeEvent.WriteKey);
        await first.StartAsync(cts.Token);
        PublishRange(0, Half);
        await Waits.UntilAsync(() => first.SentCount >= 300, s_phase, () => $"first mirror sent {first.SentCount}", cts.Token);
        first.SimulateCrash();
        long[] committedAtCrash = Enumerable.Range(0, PartitionCount).Select(p => group.GetCommittedOffset(outbound.Name, p)).ToArray();
        Assert.True(committedAtCrash.Sum() < 2 * Half, "the crash must leave events unmirrored");

        PublishRange(Half, 2 * Half);
        using (var second = new KafkaMirror<BridgeEvent>(outbound, group, _serializer, producerConfig, options, BridgeEvent.WriteKey))
        {
            await second.StartAsync(cts.Token);
            await Waits.UntilAsync(
                () => Enumerable.Range(0, PartitionCount).All(p => group.GetCommittedOffset(outbound.Name, p) == outbound[p].EndOffset),
                s_phase,
                () => $"second mirror sent {second.SentCount}",
                cts.Token);
            Assert.Null(second.Fault);
        }

        List<ConsumeResult<byte[], byte[]>> records = await Task.Run(
            () => KafkaReader.ReadAll(_cluster, kafkaTopic, PartitionCount, s_phase, cts.Token), cts.Token);
        var seen = new Dictionary<long, int>();
        foreach (ConsumeResult<byte[], byte[]> record in records)
        {
            BridgeEvent e = KafkaReader.Decode(record);
            seen[e.Index] = seen.GetValueOrDefault(e.Index) + 1;
            Assert.Equal(localOffsetOf[e.Index].Partition, record.Partition.Value);
        }

        long[] missing = Enumerable.Range(0, 2 * Half).Select(i => (long)i).Where(i => !seen.ContainsKey(i)).ToArray();
        Assert.Empty(missing);
        int duplicates = records.Count - 2 * Half;
        _output.WriteLine(
            $"committed at crash: [{string.Join(", ", committedAtCrash)}] of {Half} published; records in Kafka: {records.Count}; " +
            $"duplicates: {duplicates}");

        // Only events the crashed mirror had not committed locally may appear twice.
        foreach ((long index, int times) in seen.Where(kv => kv.Value > 1))
        {
            (int partition, long offset) = localOffsetOf[index];
            Assert.True(offset >= committedAtCrash[partition],
                $"event {index} (partition {partition}, offset {offset}) was committed before the crash but appears {times} times");
        }

        // Per partition, first occurrences follow local order: a restart re-sends a suffix, never reorders.
        foreach (IGrouping<int, ConsumeResult<byte[], byte[]>> partition in records.GroupBy(r => r.Partition.Value))
        {
            long[] firstSeen = partition.Select(r => KafkaReader.Decode(r).Index).Distinct().ToArray();
            Assert.Equal(firstSeen.Order(), firstSeen);
        }
    }

    /// <summary>Collects the bridge's counters for one Kafka topic.</summary>
    private sealed class BridgeMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _topic;
        private long _sent;
        private long _consumed;
        private long _errors;
        private readonly HashSet<string> _sentPartitions = [];

        public BridgeMetrics(string topic)
        {
            _topic = topic;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == KafkaMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>(OnMeasurement);
            _listener.Start();
        }

        public long Sent => Interlocked.Read(ref _sent);

        public long Consumed => Interlocked.Read(ref _consumed);

        public long Errors => Interlocked.Read(ref _errors);

        public IReadOnlyCollection<string> SentPartitions
        {
            get
            {
                lock (_sentPartitions)
                {
                    return [.. _sentPartitions];
                }
            }
        }

        public void Dispose() => _listener.Dispose();

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? destination = null;
            string? partition = null;
            string? system = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                switch (tag.Key)
                {
                    case KafkaMetrics.DestinationNameTag: destination = tag.Value as string; break;
                    case KafkaMetrics.PartitionIdTag: partition = tag.Value as string; break;
                    case KafkaMetrics.SystemTag: system = tag.Value as string; break;
                }
            }

            if (destination != _topic || system != "kafka")
            {
                return;
            }

            switch (instrument.Name)
            {
                case KafkaMetrics.SentMessages:
                    Interlocked.Add(ref _sent, value);
                    lock (_sentPartitions)
                    {
                        _sentPartitions.Add(partition!);
                    }

                    break;
                case KafkaMetrics.ConsumedMessages:
                    Interlocked.Add(ref _consumed, value);
                    break;
                case KafkaMetrics.Errors:
                    Interlocked.Add(ref _errors, value);
                    break;
            }
        }
    }
}
