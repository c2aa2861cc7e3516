using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>
/// One Kafka cluster for the whole test run: librdkafka's mock cluster by default, or the real cluster named
/// by <c>HOTPATH_KAFKA_BOOTSTRAP</c>. Tests create their own uniquely named topics and groups, so they never
/// see each other's data and may run in any order.
/// </summary>
public sealed class KafkaClusterFixture : IDisposable
{
    /// <summary>Environment variable naming real bootstrap servers; when set, the tests run against that cluster.</summary>
    public const string BootstrapVariable = "HOTPATH_KAFKA_BOOTSTRAP";

    /// <summary>Replication factor for topics created on a real cluster; default 1.</summary>
    public const string ReplicationFactorVariable = "HOTPATH_KAFKA_REPLICATION_FACTOR";

    private const int MockBrokerCount = 3;
    private static readonly TimeSpan s_adminTimeout = TimeSpan.FromSeconds(20);

    private readonly MockKafkaCluster? _mock;
    private readonly IAdminClient? _admin;
    private readonly short _replicationFactor;

    public KafkaClusterFixture()
    {
        NativeLibraryPath = NativeLibraryLoader.EnsureLoaded();
        string? bootstrap = Environment.GetEnvironmentVariable(BootstrapVariable);
        if (string.IsNullOrWhiteSpace(bootstrap))
        {
            _mock = new MockKafkaCluster(MockBrokerCount);
            // Kafka's default of 3 s before the first rebalance of a new group would dominate every test.
            _mock.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
            BootstrapServers = _mock.BootstrapServers;
            _replicationFactor = MockBrokerCount;
        }
        else
        {
            BootstrapServers = bootstrap.Trim();
            string? rf = Environment.GetEnvironmentVariable(ReplicationFactorVariable);
            _replicationFactor = string.IsNullOrWhiteSpace(rf) ? (short)1 : short.Parse(rf, CultureInfo.InvariantCulture);
            _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        }
    }

    /// <summary>True when the tests run against librdkafka's mock cluster.</summary>
    public bool IsMock => _mock is not null;

    public string BootstrapServers { get; }

    public string NativeLibraryPath { get; }

    /// <summary>A name no other test uses, valid as a Kafka topic or group id.</summary>
    public static string UniqueName(string prefix) => $"hotpath-{prefix}-{Guid.NewGuid():N}";

    /// <summary>Creates a topic and returns once its metadata shows all partitions.</summary>
    public async Task CreateTopicAsync(string topic, int partitions, CancellationToken cancellationToken)
    {
        if (_mock is not null)
        {
            _mock.CreateTopic(topic, partitions, _replicationFactor);
            return;
        }

        try
        {
            await _admin!.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = _replicationFactor }],
                new CreateTopicsOptions { OperationTimeout = s_adminTimeout, RequestTimeout = s_adminTimeout });
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code == ErrorCode.TopicAlreadyExists))
        {
        }

        // A real cluster propagates new topic metadata to all brokers asynchronously.
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Metadata metadata = _admin!.GetMetadata(topic, TimeSpan.FromSeconds(5));
            TopicMetadata? found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
            if (found is not null && found.Error.Code == ErrorCode.NoError && found.Partitions.Count == partitions)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Producer settings for the tests: idempotent, acks=all.</summary>
    public ProducerConfig CreateProducerConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = 5,
        MessageTimeoutMs = 20_000,
    };

    /// <summary>
    /// Consumer settings for the tests: manual commits, earliest offset, and a short session timeout so a
    /// group that lost a member rebalances within seconds instead of Kafka's default 45 s.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId) => new()
    {
        BootstrapServers = BootstrapServers,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 3000,
        HeartbeatIntervalMs = 500,
        EnablePartitionEof = false,
    };

    public void Dispose()
    {
        _admin?.Dispose();
        _mock?.Dispose();
    }
}
