using Confluent.Kafka;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>Reads a whole Kafka topic (every partition from offset 0 to its high watermark) without a consumer group.</summary>
internal static class KafkaReader
{
    public static List<ConsumeResult<byte[], byte[]>> ReadAll(
        KafkaClusterFixture cluster, string topic, int partitions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ConsumerConfig config = cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("reader"));
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var high = new long[partitions];
        for (int p = 0; p < partitions; p++)
        {
            high[p] = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value;
        }

        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        int expected = (int)high.Sum();
        List<ConsumeResult<byte[], byte[]>> results = consumer.ConsumeExactly(expected, timeout, cancellationToken);
        consumer.Close();
        return results;
    }

    public static BridgeEvent Decode(ConsumeResult<byte[], byte[]> record) =>
        new UnmanagedEventSerializer<BridgeEvent>().Deserialize(record.Message.Value);
}
