using System.Runtime.InteropServices;

namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>
/// librdkafka's in-process mock Kafka cluster: real brokers speaking the Kafka protocol on loopback ports,
/// backed by memory. Owns a producer handle (the mock needs one to live in) and the cluster.
/// </summary>
/// <remarks>
/// Known limits of the mock in 2.16.0: it does not implement CreateTopics (use <see cref="CreateTopic"/>);
/// auto-created topics get 4 partitions; ListConsumerGroups crashed the test host, so do not call
/// ListConsumerGroupsAsync or DescribeClusterAsync against it.
/// </remarks>
internal sealed class MockKafkaCluster : IDisposable
{
    private readonly object _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    public MockKafkaCluster(int brokerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        byte[] errstr = new byte[512];
        IntPtr conf = LibrdkafkaNative.rd_kafka_conf_new();
        SetOrThrow(conf, "client.id", "hotpath-mock-cluster-owner", errstr);
        // The owning handle never connects anywhere; keep its log quiet (errors only).
        SetOrThrow(conf, "log_level", "3", errstr);

        // rd_kafka_new takes ownership of conf only when it succeeds.
        _handle = LibrdkafkaNative.rd_kafka_new(LibrdkafkaNative.RdKafkaProducer, conf, errstr, (UIntPtr)errstr.Length);
        if (_handle == IntPtr.Zero)
        {
            LibrdkafkaNative.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {LibrdkafkaNative.ErrorBufferToString(errstr)}");
        }

        _cluster = LibrdkafkaNative.rd_kafka_mock_cluster_new(_handle, brokerCount);
        if (_cluster == IntPtr.Zero)
        {
            LibrdkafkaNative.rd_kafka_destroy(_handle);
            _handle = IntPtr.Zero;
            throw new InvalidOperationException($"rd_kafka_mock_cluster_new failed: brokerCount={brokerCount}");
        }

        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(LibrdkafkaNative.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("rd_kafka_mock_cluster_bootstraps returned NULL");
    }

    public int BrokerCount { get; }

    /// <summary>Comma-separated host:port list of the mock brokers, e.g. <c>127.0.0.1:40123,127.0.0.1:40125</c>.</summary>
    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor)
    {
        int err = LibrdkafkaNative.rd_kafka_mock_topic_create(ClusterOrThrow(), topic, partitions, replicationFactor);
        if (err != 0)
        {
            throw new InvalidOperationException(
                $"rd_kafka_mock_topic_create failed for topic={topic}, partitions={partitions}, " +
                $"replicationFactor={replicationFactor}: {LibrdkafkaNative.ErrorToString(err)}");
        }
    }

    /// <summary>How long the group coordinator waits for more members before the first rebalance (Kafka's group.initial.rebalance.delay.ms).</summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        int err = LibrdkafkaNative.rd_kafka_mock_group_initial_rebalance_delay_ms(ClusterOrThrow(), (int)delay.TotalMilliseconds);
        if (err != 0)
        {
            throw new InvalidOperationException(
                $"rd_kafka_mock_group_initial_rebalance_delay_ms failed: delay={delay}: {LibrdkafkaNative.ErrorToString(err)}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // Cluster before its owning handle: the cluster runs on a thread of that handle's instance.
            if (_cluster != IntPtr.Zero)
            {
                LibrdkafkaNative.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }

            if (_handle != IntPtr.Zero)
            {
                LibrdkafkaNative.rd_kafka_destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    private IntPtr ClusterOrThrow()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            return _cluster;
        }
    }

    private static void SetOrThrow(IntPtr conf, string name, string value, byte[] errstr)
    {
        if (LibrdkafkaNative.rd_kafka_conf_set(conf, name, value, errstr, (UIntPtr)errstr.Length) != LibrdkafkaNative.ConfOk)
        {
            string reason = LibrdkafkaNative.ErrorBufferToString(errstr);
            LibrdkafkaNative.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_conf_set failed: {name}={value}: {reason}");
        }
    }
}
