using System.Text;
using Confluent.Kafka;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Partitioning;
using Partitioner = Confluent.Kafka.Partitioner;

namespace HotPath.Kafka.Tests;

/// <summary>
/// Pins down that <see cref="KafkaPartitioner"/> puts a key where Kafka's default (Java-compatible) partitioner
/// does, using librdkafka's "murmur2_random" partitioner, an independent implementation, as the reference.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaPartitionerCompatibilityTests
{
    private readonly KafkaClusterFixture _cluster;

    public KafkaPartitionerCompatibilityTests(KafkaClusterFixture cluster) => _cluster = cluster;

    [Theory(Timeout = 60_000)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ProduceAsync_Murmur2RandomPartitioner_PutsKeyWhereMurmur2Says(int partitionCount)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string topic = KafkaClusterFixture.UniqueName("partitioner");
        await _cluster.CreateTopicAsync(topic, partitionCount, cts.Token);

        ProducerConfig config = _cluster.CreateProducerConfig();
        config.Partitioner = Partitioner.Murmur2Random;
        string[] keys = Enumerable.Range(0, 200).Select(i => $"customer-{i * 7919}").Append("").Append("21").Append("foobar").ToArray();

        using IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        DeliveryResult<byte[], byte[]>[] results = await Task.WhenAll(keys.Select(key =>
            producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = [] }, cts.Token)));

        var mismatches = results
            .Where(r => r.Partition.Value != KafkaPartitioner.PartitionForKey(r.Message.Key, partitionCount))
            .Select(r => $"key={Encoding.UTF8.GetString(r.Message.Key)} librdkafka={r.Partition.Value} " +
                         $"hotpath={KafkaPartitioner.PartitionForKey(r.Message.Key, partitionCount)}")
            .ToList();
        Assert.Empty(mismatches);
        Assert.Equal(partitionCount, results.Select(r => r.Partition.Value).Distinct().Count());
    }
}
