using Confluent.Kafka;
using HotPath.Kafka.Tests.Infrastructure;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// Reads a topic written by transactions: every partition from offset 0 with <c>isolation.level=read_committed</c>,
/// until at least <c>atLeast</c> records arrived and then nothing more for a quiet period. (A count from the high
/// watermark would include the transactions' control records.) librdkafka's mock cluster does not hide records of
/// aborted transactions from this reader; a real cluster does.
/// </summary>
internal static class CommittedReader
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(1500);

    public static List<BridgeEvent> ReadAll(
        KafkaClusterFixture cluster, string topic, int partitions, int atLeast, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ConsumerConfig config = cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("reader"));
        config.IsolationLevel = IsolationLevel.ReadCommitted;
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var events = new List<BridgeEvent>();
        DateTime deadline = DateTime.UtcNow + timeout;
        DateTime quietUntil = DateTime.MaxValue;
        while (DateTime.UtcNow < quietUntil)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"read {events.Count} records of '{topic}', expected at least {atLeast}, within {timeout}");
            }

            ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is not null)
            {
                events.Add(KafkaReader.Decode(result));
                quietUntil = events.Count >= atLeast ? DateTime.UtcNow + s_quiet : DateTime.MaxValue;
            }
            else if (events.Count >= atLeast && quietUntil == DateTime.MaxValue)
            {
                quietUntil = DateTime.UtcNow + s_quiet;
            }
        }

        consumer.Close();
        return events;
    }
}
