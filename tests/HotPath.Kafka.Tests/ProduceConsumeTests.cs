using System.Buffers;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;

namespace HotPath.Kafka.Tests;

[Collection(KafkaCollection.Name)]
public sealed class ProduceConsumeTests
{
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct SequencedEvent
    {
        public int Partition;
        public long SequenceInPartition;
        public long GlobalIndex;
    }

    private const int PartitionCount = 3;
    private static readonly TimeSpan s_phaseTimeout = TimeSpan.FromSeconds(25);

    private readonly KafkaClusterFixture _cluster;
    private readonly UnmanagedEventSerializer<SequencedEvent> _serializer = new();

    public ProduceConsumeTests(KafkaClusterFixture cluster) => _cluster = cluster;

    [Fact(Timeout = 60_000)]
    public async Task ProduceAsync_300KeyedMessagesToExplicitPartitions_EachConsumedOnceInPartitionOrder()
    {
        const int MessageCount = 300;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string topic = KafkaClusterFixture.UniqueName("produce-consume");
        await _cluster.CreateTopicAsync(topic, PartitionCount, cts.Token);

        List<DeliveryResult<string, byte[]>> delivered = await ProduceAsync(topic, MessageCount, cts.Token);

        // Idempotent producer: per partition, offsets are dense and follow the order of production.
        foreach (IGrouping<int, DeliveryResult<string, byte[]>> partition in delivered.GroupBy(d => d.Partition.Value))
        {
            Assert.Equal(Enumerable.Range(0, MessageCount / PartitionCount).Select(i => (long)i), partition.Select(d => d.Offset.Value));
        }

        List<ConsumeResult<string, byte[]>> consumed = await Task.Run(() =>
        {
            using IConsumer<string, byte[]> consumer = new ConsumerBuilder<string, byte[]>(
                _cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("group"))).Build();
            consumer.Subscribe(topic);
            List<ConsumeResult<string, byte[]>> results = consumer.ConsumeExactly(MessageCount, s_phaseTimeout, cts.Token);
            consumer.Close();
            return results;
        }, cts.Token);

        Assert.Equal(MessageCount, consumed.Count);
        Assert.Equal(MessageCount, consumed.Select(c => c.TopicPartitionOffset).Distinct().Count());
        foreach (IGrouping<int, ConsumeResult<string, byte[]>> partition in consumed.GroupBy(c => c.Partition.Value))
        {
            long expectedSequence = 0;
            foreach (ConsumeResult<string, byte[]> result in partition)
            {
                SequencedEvent e = _serializer.Deserialize(result.Message.Value);
                Assert.Equal(partition.Key, e.Partition);
                Assert.Equal(expectedSequence, e.SequenceInPartition);
                Assert.Equal(expectedSequence, result.Offset.Value);
                Assert.Equal($"key-{e.GlobalIndex}", result.Message.Key);
                expectedSequence++;
            }

            Assert.Equal(MessageCount / PartitionCount, expectedSequence);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Commit_AfterConsumingAll_CommittedReturnsNextOffsetAndGroupResumesThere()
    {
        const int MessageCount = 30;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string topic = KafkaClusterFixture.UniqueName("commit");
        string group = KafkaClusterFixture.UniqueName("group");
        await _cluster.CreateTopicAsync(topic, PartitionCount, cts.Token);
        await ProduceAsync(topic, MessageCount, cts.Token);

        IReadOnlyList<TopicPartitionOffset> committed = await Task.Run(() =>
        {
            using IConsumer<string, byte[]> consumer = new ConsumerBuilder<string, byte[]>(_cluster.CreateConsumerConfig(group)).Build();
            consumer.Subscribe(topic);
            List<ConsumeResult<string, byte[]>> results = consumer.ConsumeExactly(MessageCount, s_phaseTimeout, cts.Token);
            List<TopicPartitionOffset> next = results
                .GroupBy(r => r.TopicPartition)
                .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
                .ToList();
            consumer.CommitWithRetry(next, s_phaseTimeout, cts.Token);
            List<TopicPartitionOffset> read = consumer.Committed(next.Select(n => n.TopicPartition), TimeSpan.FromSeconds(10));
            consumer.Close();
            return read;
        }, cts.Token);

        Assert.Equal(PartitionCount, committed.Count);
        Assert.All(committed, c => Assert.Equal(MessageCount / PartitionCount, c.Offset.Value));

        // A new member of the same group starts at the committed offsets: it sees only what is produced now.
        await ProduceAsync(topic, PartitionCount, cts.Token, firstIndex: MessageCount);
        List<ConsumeResult<string, byte[]>> resumed = await Task.Run(() =>
        {
            using IConsumer<string, byte[]> consumer = new ConsumerBuilder<string, byte[]>(_cluster.CreateConsumerConfig(group)).Build();
            consumer.Subscribe(topic);
            List<ConsumeResult<string, byte[]>> results = consumer.ConsumeExactly(PartitionCount, s_phaseTimeout, cts.Token);
            consumer.Close();
            return results;
        }, cts.Token);

        Assert.All(resumed, r => Assert.Equal(MessageCount / PartitionCount, r.Offset.Value));
        Assert.Equal([0, 1, 2], resumed.Select(r => r.Partition.Value).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task Deserialize_RecordOfWrongSize_ExceptionWithLocationNamesTopicPartitionOffset()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        string topic = KafkaClusterFixture.UniqueName("bad-record");
        await _cluster.CreateTopicAsync(topic, 1, cts.Token);
        using (IProducer<string, byte[]> producer = new ProducerBuilder<string, byte[]>(_cluster.CreateProducerConfig()).Build())
        {
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, byte[]> { Key = "k", Value = [1, 2, 3] }, cts.Token);
        }

        ConsumeResult<string, byte[]> record = await Task.Run(() =>
        {
            using IConsumer<string, byte[]> consumer = new ConsumerBuilder<string, byte[]>(
                _cluster.CreateConsumerConfig(KafkaClusterFixture.UniqueName("group"))).Build();
            consumer.Subscribe(topic);
            ConsumeResult<string, byte[]> result = consumer.ConsumeExactly(1, s_phaseTimeout, cts.Token)[0];
            consumer.Close();
            return result;
        }, cts.Token);

        var ex = Assert.Throws<EventSerializationException>(() =>
        {
            try
            {
                _serializer.Deserialize(record.Message.Value);
            }
            catch (EventSerializationException e)
            {
                throw e.WithLocation(record.Topic, record.Partition.Value, record.Offset.Value);
            }
        });

        Assert.Contains($"expected={_serializer.Size}, actual=3", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith($"(topic={topic}, partition=0, offset=0)", ex.Message, StringComparison.Ordinal);
    }

    private async Task<List<DeliveryResult<string, byte[]>>> ProduceAsync(
        string topic, int count, CancellationToken cancellationToken, int firstIndex = 0)
    {
        using IProducer<string, byte[]> producer = new ProducerBuilder<string, byte[]>(_cluster.CreateProducerConfig()).Build();
        var buffer = new ArrayBufferWriter<byte>(_serializer.Size);
        var pending = new List<Task<DeliveryResult<string, byte[]>>>(count);
        for (int i = firstIndex; i < firstIndex + count; i++)
        {
            int partition = i % PartitionCount;
            buffer.ResetWrittenCount();
            _serializer.Serialize(
                new SequencedEvent { Partition = partition, SequenceInPartition = i / PartitionCount, GlobalIndex = i },
                buffer);
            // Confluent.Kafka takes a byte[] per message: the pooled buffer is copied once here.
            var message = new Message<string, byte[]> { Key = $"key-{i}", Value = buffer.WrittenSpan.ToArray() };
            pending.Add(producer.ProduceAsync(new TopicPartition(topic, partition), message, cancellationToken));
        }

        DeliveryResult<string, byte[]>[] results = await Task.WhenAll(pending);
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal((firstIndex + i) % PartitionCount, results[i].Partition.Value);
        }

        return results.ToList();
    }
}
