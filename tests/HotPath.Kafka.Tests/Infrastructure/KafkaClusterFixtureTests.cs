using Confluent.Kafka;

namespace HotPath.Kafka.Tests.Infrastructure;

[Collection(KafkaCollection.Name)]
public sealed class KafkaClusterFixtureTests
{
    private readonly KafkaClusterFixture _cluster;

    public KafkaClusterFixtureTests(KafkaClusterFixture cluster) => _cluster = cluster;

    [Fact(Timeout = 30_000)]
    public async Task Constructor_Default_ReportsReachableBootstraps()
    {
        await Task.Yield();
        string[] brokers = _cluster.BootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(brokers);
        foreach (string broker in brokers)
        {
            int colon = broker.LastIndexOf(':');
            Assert.True(colon > 0, $"bootstrap entry must be host:port: entry={broker}");
            Assert.InRange(int.Parse(broker[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), 1, 65535);
        }

        if (_cluster.IsMock)
        {
            Assert.Equal(3, brokers.Length);
        }

        Assert.True(File.Exists(_cluster.NativeLibraryPath), $"native library must exist: path={_cluster.NativeLibraryPath}");
        Assert.True(Library.IsLoaded);
        Assert.StartsWith("2.16.0", Library.VersionString, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task CreateTopicAsync_ThreePartitions_MetadataShowsThreePartitions()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        string topic = KafkaClusterFixture.UniqueName("fixture");
        await _cluster.CreateTopicAsync(topic, 3, cts.Token);

        Metadata metadata = await Task.Run(() =>
        {
            using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _cluster.BootstrapServers }).Build();
            return admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        }, cts.Token);

        TopicMetadata topicMetadata = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topicMetadata.Error.Code);
        Assert.Equal([0, 1, 2], topicMetadata.Partitions.Select(p => p.PartitionId).Order());
    }
}
