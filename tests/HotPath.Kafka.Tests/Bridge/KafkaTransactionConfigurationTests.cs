using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Internal;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Topics;
using LocalIsolation = HotPath.Consumers.IsolationLevel;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// The transactional settings are checked at construction: one place names the transactional id, the source reads
/// committed records only, the mirror's local group reads committed events only, and a link needs a transactional mirror.
/// </summary>
public sealed class KafkaTransactionConfigurationTests
{
    private const string Unreachable = "127.0.0.1:1";

    private readonly UnmanagedEventSerializer<BridgeEvent> _serializer = new();

    public KafkaTransactionConfigurationTests() => NativeLibraryLoader.EnsureLoaded();

    [Fact]
    public void KafkaMirror_TransactionalIdInProducerConfig_ThrowsPointingAtTheOption()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic);
        var config = new ProducerConfig { BootstrapServers = Unreachable, TransactionalId = "orders-mirror" };

        var ex = Assert.Throws<ArgumentException>(() => new KafkaMirror<BridgeEvent>(topic, group, _serializer, config));
        Assert.Equal("producerConfig", ex.ParamName);
        Assert.Contains("producerConfig.TransactionalId must be unset: set KafkaMirrorOptions.TransactionalId instead", ex.Message, StringComparison.Ordinal);
        Assert.Contains("was 'orders-mirror'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void KafkaMirror_BlankTransactionalId_ThrowsNamingIt(string id)
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic);
        var ex = Assert.Throws<ArgumentException>(() => new KafkaMirror<BridgeEvent>(
            topic, group, _serializer, new ProducerConfig { BootstrapServers = Unreachable }, new KafkaMirrorOptions { TransactionalId = id }));
        Assert.Contains("TransactionalId must be null (not transactional) or a non-blank transactional.id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaMirror_TransactionalId_IsTheProducersTransactionalId()
    {
        ProducerConfig copy = KafkaClientConfigs.ForMirror(new ProducerConfig { BootstrapServers = Unreachable }, "producerConfig", "orders-mirror");
        Assert.Equal("orders-mirror", copy.TransactionalId);
        Assert.Null(KafkaClientConfigs.ForMirror(new ProducerConfig { BootstrapServers = Unreachable }, "producerConfig", null).TransactionalId);
    }

    [Theory]
    [InlineData("explicit")]
    [InlineData("lossy")]
    public void KafkaMirror_GroupReadsUncommitted_ThrowsNamingIsolation(string how)
    {
        using var topic = NewTopic();
        var options = how == "explicit"
            ? new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual, Isolation = LocalIsolation.ReadUncommitted }
            : new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual, Lossy = true };
        using var group = new ConsumerGroup<BridgeEvent>(topic, options);

        var ex = Assert.Throws<ArgumentException>(() =>
            new KafkaMirror<BridgeEvent>(topic, group, _serializer, new ProducerConfig { BootstrapServers = Unreachable }));
        Assert.Equal("group", ex.ParamName);
        Assert.Contains("group must read committed events only", ex.Message, StringComparison.Ordinal);
        Assert.Contains(how == "explicit" ? "Isolation=ReadUncommitted" : "Lossy=True", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaSource_ReadUncommitted_ThrowsNamingIt()
    {
        using var topic = NewTopic();
        var config = new ConsumerConfig { BootstrapServers = Unreachable, GroupId = "g", IsolationLevel = Confluent.Kafka.IsolationLevel.ReadUncommitted };

        var ex = Assert.Throws<ArgumentException>(() => new KafkaSource<BridgeEvent>(topic, _serializer, config));
        Assert.Equal("consumerConfig", ex.ParamName);
        Assert.Contains("consumerConfig.IsolationLevel must be ReadCommitted or unset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaSource_IsolationUnset_ReadsCommitted()
    {
        ConsumerConfig copy = KafkaClientConfigs.ForSource(new ConsumerConfig { BootstrapServers = Unreachable, GroupId = "g" }, "consumerConfig");
        Assert.Equal(Confluent.Kafka.IsolationLevel.ReadCommitted, copy.IsolationLevel);
    }

    [Fact]
    public void CommitOffsetsThrough_MirrorNotTransactional_ThrowsNamingTheOption()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic);
        using var mirror = new KafkaMirror<BridgeEvent>(topic, group, _serializer, new ProducerConfig { BootstrapServers = Unreachable });
        using var source = NewSource();

        var ex = Assert.Throws<ArgumentException>(() => source.CommitOffsetsThrough(mirror));
        Assert.Contains("mirror must be transactional (KafkaMirrorOptions.TransactionalId set)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommitOffsetsThrough_MirrorAlreadyLinked_ThrowsOneSourcePerMirror()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic);
        using var mirror = new KafkaMirror<BridgeEvent>(
            topic, group, _serializer, new ProducerConfig { BootstrapServers = Unreachable }, new KafkaMirrorOptions { TransactionalId = "t" });
        using var first = NewSource();
        using var second = NewSource();
        first.CommitOffsetsThrough(mirror);

        var ex = Assert.Throws<InvalidOperationException>(() => second.CommitOffsetsThrough(mirror));
        Assert.Contains("mirror 't' already commits the offsets of another source", ex.Message, StringComparison.Ordinal);
        var again = Assert.Throws<InvalidOperationException>(() => first.CommitOffsetsThrough(mirror));
        Assert.Contains("already commits through a mirror", again.Message, StringComparison.Ordinal);
    }

    private KafkaSource<BridgeEvent> NewSource() =>
        new(new Topic<BridgeEvent>(new TopicOptions { Name = "in", PartitionCount = 3 }), _serializer,
            new ConsumerConfig { BootstrapServers = Unreachable, GroupId = "g" });

    private static Topic<BridgeEvent> NewTopic() => new(new TopicOptions { Name = "orders", PartitionCount = 3 });

    private static ConsumerGroup<BridgeEvent> NewGroup(Topic<BridgeEvent> topic) =>
        new(topic, new ConsumerGroupOptions { GroupId = "mirror", CommitMode = CommitMode.Manual });
}
