using System.Diagnostics;
using Confluent.Kafka;
using HotPath.Consumers;
using HotPath.Kafka.Serialization;
using HotPath.Kafka.Tests.Infrastructure;
using HotPath.Topics;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>Misconfiguration fails at construction with a message naming the setting; unreachable brokers fail fast at start.</summary>
public sealed class KafkaBridgeConfigurationTests
{
    // Port 1 on loopback: nothing listens, every connect is refused.
    private const string Unreachable = "127.0.0.1:1";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(20);

    private readonly UnmanagedEventSerializer<BridgeEvent> _serializer = new();

    public KafkaBridgeConfigurationTests() => NativeLibraryLoader.EnsureLoaded();

    [Fact]
    public void KafkaMirror_MissingBootstrapServers_ThrowsNamingIt()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic, CommitMode.Manual);
        var ex = Assert.Throws<ArgumentException>(() => new KafkaMirror<BridgeEvent>(topic, group, _serializer, new ProducerConfig()));
        Assert.Equal("producerConfig", ex.ParamName);
        Assert.Contains("producerConfig.BootstrapServers must list at least one broker", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaMirror_GroupNotManual_ThrowsNamingCommitMode()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic, CommitMode.AfterBatch);
        var ex = Assert.Throws<ArgumentException>(() =>
            new KafkaMirror<BridgeEvent>(topic, group, _serializer, new ProducerConfig { BootstrapServers = Unreachable }));
        Assert.Contains("CommitMode must be Manual", ex.Message, StringComparison.Ordinal);
        Assert.Contains("was AfterBatch", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acks")]
    [InlineData("idempotence")]
    [InlineData("ack-timeout")]
    [InlineData("topic-name")]
    public void KafkaMirror_SettingAgainstItsGuarantees_ThrowsNamingSettingAndValue(string which)
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic, CommitMode.Manual);
        var config = new ProducerConfig { BootstrapServers = Unreachable };
        var options = new KafkaMirrorOptions();
        string expected;
        switch (which)
        {
            case "acks":
                config.Acks = Acks.Leader;
                expected = "producerConfig.Acks must be All or unset";
                break;
            case "idempotence":
                config.EnableIdempotence = false;
                expected = "producerConfig.EnableIdempotence must be true or unset";
                break;
            case "ack-timeout":
                options = options with { AckTimeout = TimeSpan.FromSeconds(30) };
                expected = "AckTimeout must be shorter than group.Options.RebalanceTimeout";
                break;
            default:
                options = options with { KafkaTopic = "bad name" };
                expected = "KafkaTopic must be 1 to 249 characters of [a-zA-Z0-9._-]";
                break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(() => new KafkaMirror<BridgeEvent>(topic, group, _serializer, config, options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bootstrap", "consumerConfig.BootstrapServers must list at least one broker")]
    [InlineData("group", "consumerConfig.GroupId must name the Kafka consumer group")]
    [InlineData("autocommit", "consumerConfig.EnableAutoCommit must be false or unset")]
    [InlineData("interval", "CommitInterval must be positive")]
    public void KafkaSource_BadSetting_ThrowsNamingSettingAndValue(string which, string expected)
    {
        using var topic = NewTopic();
        var config = new ConsumerConfig { BootstrapServers = Unreachable, GroupId = "g" };
        var options = new KafkaSourceOptions();
        switch (which)
        {
            case "bootstrap": config.BootstrapServers = null; break;
            case "group": config.GroupId = ""; break;
            case "autocommit": config.EnableAutoCommit = true; break;
            default: options = options with { CommitInterval = TimeSpan.Zero }; break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(() => new KafkaSource<BridgeEvent>(topic, _serializer, config, options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 45_000)]
    public async Task KafkaMirror_UnreachableBroker_StartFailsWithinBoundNamingServers()
    {
        using var topic = NewTopic();
        using var group = NewGroup(topic, CommitMode.Manual);
        using var mirror = new KafkaMirror<BridgeEvent>(
            topic, group, _serializer, QuietProducer(), new KafkaMirrorOptions { StartupTimeout = TimeSpan.FromSeconds(3) });

        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<KafkaBridgeException>(() => mirror.StartAsync());
        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < s_bound, $"failure must come within {s_bound}: elapsed={stopwatch.Elapsed}");
        Assert.Contains($"bootstrap servers '{Unreachable}'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(group.Members);
    }

    [Fact(Timeout = 45_000)]
    public async Task KafkaSource_UnreachableBroker_StartFailsWithinBoundNamingServers()
    {
        using var topic = NewTopic();
        var config = new ConsumerConfig { BootstrapServers = Unreachable, GroupId = "g", SocketConnectionSetupTimeoutMs = 1000, LogQueue = false };
        using var source = new KafkaSource<BridgeEvent>(topic, _serializer, config, new KafkaSourceOptions { StartupTimeout = TimeSpan.FromSeconds(3) });

        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<KafkaBridgeException>(() => source.StartAsync());
        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < s_bound, $"failure must come within {s_bound}: elapsed={stopwatch.Elapsed}");
        Assert.Contains($"bootstrap servers '{Unreachable}'", ex.Message, StringComparison.Ordinal);
        Assert.False(source.IsRunning);
    }

    private static ProducerConfig QuietProducer() => new()
    {
        BootstrapServers = Unreachable,
        SocketConnectionSetupTimeoutMs = 1000,
        ReconnectBackoffMs = 100,
        ReconnectBackoffMaxMs = 500,
    };

    private static Topic<BridgeEvent> NewTopic() => new(new TopicOptions { Name = "orders", PartitionCount = 3 });

    private static ConsumerGroup<BridgeEvent> NewGroup(Topic<BridgeEvent> topic, CommitMode mode) =>
        new(topic, new ConsumerGroupOptions { GroupId = "mirror", CommitMode = mode });
}
