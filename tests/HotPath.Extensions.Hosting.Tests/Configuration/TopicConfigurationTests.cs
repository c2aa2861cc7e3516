using HotPath.Durability;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Partitioning;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Extensions.Hosting.Tests.Configuration;

public sealed class TopicConfigurationTests
{
    private static readonly Action<HotPathBuilder> OrdersTopic = hp => hp.AddTopic<Order>("orders");

    [Fact]
    public void Read_EveryTopicKey_BindsEachOption()
    {
        string directory = Path.Combine(Path.GetTempPath(), "hotpath-hosting-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var services = new TestServices(
                new Dictionary<string, string?>
                {
                    ["HotPath:Topics:0:topic"] = "orders",
                    ["HotPath:Topics:0:partitions"] = "3",
                    ["HotPath:Topics:0:replicationFactor"] = "2",
                    ["HotPath:Topics:0:Capacity"] = "256",
                    ["HotPath:Topics:0:PublishMode"] = "singlewriter",
                    ["HotPath:Topics:0:WaitStrategy"] = "Yielding",
                    ["HotPath:Topics:0:Partitioner"] = "Kafka",
                    ["HotPath:Topics:0:Durability:Directory"] = directory,
                    ["HotPath:Topics:0:Durability:Sync"] = "Interval",
                    ["HotPath:Topics:0:Durability:SyncInterval"] = "00:00:00.050",
                    ["HotPath:Topics:0:Durability:SegmentBytes"] = "65536",
                    ["HotPath:Topics:0:Durability:PreallocateSegments"] = "false",
                    ["HotPath:Topics:0:Durability:RetentionBytes"] = "1048576",
                    ["HotPath:Topics:0:Durability:RetentionTime"] = "1.00:00:00",
                    ["HotPath:Topics:0:Durability:MaxBatch"] = "64",
                },
                OrdersTopic);

            TopicOptions options = services.Registry.GetTopic<Order>("orders").Options;

            Assert.Equal(3, options.PartitionCount);
            Assert.Equal(2, options.ReplicationFactor);
            Assert.Equal(256, options.Capacity);
            Assert.Equal(PublishMode.SingleWriter, options.PublishMode);
            Assert.Same(WaitStrategy.Yielding, options.WaitStrategy);
            Assert.Same(Partitioner.Kafka, options.Partitioner);
            Assert.Equal(
                new DurabilityOptions
                {
                    Directory = directory, Sync = SyncPolicy.Interval, SyncInterval = TimeSpan.FromMilliseconds(50), SegmentBytes = 65536,
                    PreallocateSegments = false, RetentionBytes = 1048576, RetentionTime = TimeSpan.FromDays(1), MaxBatch = 64,
                },
                options.Durability);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void Read_PartitionerKafka_IsAppliedNotIgnored()
    {
        // The configuration binder silently ignores "Partitioner": "Kafka" (the property is a class); this reader applies it.
        using var services = new TestServices(Topic(("Partitioner", "Kafka")), OrdersTopic);

        Topic<Order> orders = services.Registry.GetTopic<Order>("orders");

        Assert.Same(Partitioner.Kafka, orders.Options.Partitioner);
        Assert.Equal(Partitioner.Kafka.PartitionFor("ORD12345", 3), orders.PartitionFor("ORD12345"));
    }

    [Fact]
    public void Read_NoEntryForRegisteredTopic_UsesDefaultsAndCodeChanges()
    {
        using var services = new TestServices(new Dictionary<string, string?>(), hp => hp.AddTopic<Order>("orders", o => o with { PartitionCount = 5 }));

        TopicOptions options = services.Registry.GetTopic<Order>("orders").Options;

        Assert.Equal(5, options.PartitionCount);
        Assert.Equal(1024, options.Capacity);
    }

    [Theory]
    [InlineData("Partitioner", "Murmur", "HotPath:Topics:0:Partitioner", "must be one of XxHash3, Kafka, was 'Murmur'")]
    [InlineData("WaitStrategy", "Sleepy", "HotPath:Topics:0:WaitStrategy", "must be one of Blocking, SpinThenSleep, Yielding, BusySpin, was 'Sleepy'")]
    [InlineData("PublishMode", "1", "HotPath:Topics:0:PublishMode", "must be one of MultiWriter, SingleWriter, was '1'")]
    [InlineData("Capacity", "lots", "HotPath:Topics:0:Capacity", "must be an integer, was 'lots'")]
    [InlineData("Capacity", "1000", "HotPath:Topics:0:Capacity", "Capacity must be a power of two from 1 to 1073741824, was 1000")]
    [InlineData("ReplicationFactor", "0", "HotPath:Topics:0:ReplicationFactor", "ReplicationFactor must be at least 1, was 0")]
    [InlineData("Partitionz", "Kafka", "HotPath:Topics:0:Partitionz", "unknown key 'Partitionz'")]
    public void Read_BadTopicValue_FailsNamingKeyRuleAndValue(string key, string value, string path, string message)
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Topic((key, value)), OrdersTopic);

        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(error.Path + ": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PartitionsNotANumber_FailsNamingKey()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(
            new Dictionary<string, string?> { ["HotPath:Topics:0:topic"] = "orders", ["HotPath:Topics:0:partitions"] = "three" }, OrdersTopic);

        Assert.Equal("HotPath:Topics:0:partitions", error.Path);
        Assert.Contains("must be an integer, was 'three'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PartitionsMissing_FailsAsRequired()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(new Dictionary<string, string?> { ["HotPath:Topics:0:topic"] = "orders" }, OrdersTopic);

        Assert.Equal("HotPath:Topics:0:Partitions", error.Path);
        Assert.EndsWith("is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PartitionsZero_FailsWithCoreRule()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(
            new Dictionary<string, string?> { ["HotPath:Topics:0:topic"] = "orders", ["HotPath:Topics:0:partitions"] = "0" }, OrdersTopic);

        Assert.Equal("HotPath:Topics:0:partitions", error.Path);
        Assert.Contains("PartitionCount must be at least 1, was 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TopicNameWithSpace_FailsNamingTopicKey()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(
            new Dictionary<string, string?> { ["HotPath:Topics:0:topic"] = "my orders", ["HotPath:Topics:0:partitions"] = "1" },
            hp => hp.AddTopic<Order>("my orders"));

        Assert.Equal("HotPath:Topics:0:topic", error.Path);
        Assert.Contains("[a-zA-Z0-9._-]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'my orders'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Durability:Sync", "Always", "HotPath:Topics:0:Durability:Sync", "must be one of None, Interval, EveryBatch, was 'Always'")]
    [InlineData("Durability:Fsync", "true", "HotPath:Topics:0:Durability:Fsync", "unknown key 'Fsync'")]
    [InlineData("Durability:SyncInterval", "50ms", "HotPath:Topics:0:Durability:SyncInterval", "must be a duration such as 00:00:05")]
    [InlineData("Durability:RetentionBytes", "-1", "HotPath:Topics:0:Durability:RetentionBytes", "RetentionBytes must be at least 0, or null for no limit, was -1")]
    [InlineData("Durability:JournallerCpu", "-1", "HotPath:Topics:0:Durability:JournallerCpu", "JournallerCpu must be a core number (at least 0), or null, was -1")]
    [InlineData("Durability:SegmentBytes", "1k", "HotPath:Topics:0:Durability:SegmentBytes", "must be an integer, was '1k'")]
    [InlineData("Durability:PreallocateSegments", "yes", "HotPath:Topics:0:Durability:PreallocateSegments", "must be true or false, was 'yes'")]
    [InlineData("Durability:MaxBatch", "0", "HotPath:Topics:0:Durability:MaxBatch", "MaxBatch must be from 1 to 65536, was 0")]
    public void Read_BadDurabilityValue_FailsNamingKey(string key, string value, string path, string message)
    {
        Dictionary<string, string?> settings = Topic((key, value));
        settings["HotPath:Topics:0:Durability:Directory"] = Path.Combine(Path.GetTempPath(), "never-created-" + Guid.NewGuid().ToString("N"));

        HotPathConfigurationException error = TestServices.ErrorOf(settings, OrdersTopic);

        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DurabilityWithoutDirectory_FailsAsRequired()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Topic(("Durability:Sync", "None")), OrdersTopic);

        Assert.Equal("HotPath:Topics:0:Durability:Directory", error.Path);
        Assert.EndsWith("is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TopicEntryIsAValue_FailsAsNotASection()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(new Dictionary<string, string?> { ["HotPath:Topics:0"] = "orders" }, OrdersTopic);

        Assert.Equal("HotPath:Topics:0", error.Path);
        Assert.Contains("must be a section of keys", error.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TopicsNotAnArray_FailsNamingElementKey()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(
            new Dictionary<string, string?> { ["HotPath:Topics:orders:partitions"] = "1" }, OrdersTopic);

        Assert.Equal("HotPath:Topics:orders", error.Path);
        Assert.Contains("must be an array element (keys 0, 1, ...), was the key 'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownTopLevelKey_FailsNamingKey()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(new Dictionary<string, string?> { ["HotPath:Topic:0:topic"] = "orders" }, OrdersTopic);

        Assert.Equal("HotPath:Topic", error.Path);
        Assert.Contains("unknown key 'Topic': the keys here are Topics, Groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SameTopicTwice_FailsNamingSecondEntry()
    {
        Dictionary<string, string?> settings = Topic();
        settings["HotPath:Topics:1:topic"] = "orders";
        settings["HotPath:Topics:1:partitions"] = "2";

        HotPathConfigurationException error = TestServices.ErrorOf(settings, OrdersTopic);

        Assert.Equal("HotPath:Topics:1:topic", error.Path);
        Assert.Contains("is already configured at HotPath:Topics:0:topic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ConfiguredTopicNotRegistered_FailsNamingIt()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Topic(), hp => hp.AddTopic<Order>("ordres"));

        Assert.Equal("HotPath:Topics:0:topic", error.Path);
        Assert.Contains("topic 'orders' is configured but not registered", error.Message, StringComparison.Ordinal);
        Assert.Contains("registered: ordres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DurableEventTypeWithReference_FailsNamingEntry()
    {
        Dictionary<string, string?> settings = Topic(("Durability:Directory", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N"))));

        HotPathConfigurationException error = TestServices.ErrorOf(settings, hp => hp.AddTopic<WithReference>("orders"));

        Assert.Equal("HotPath:Topics:0", error.Path);
        Assert.Contains("holds a reference field", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A valid entry for topic "orders" (3 partitions) plus the given keys.</summary>
    internal static Dictionary<string, string?> Topic(params (string Key, string Value)[] keys)
    {
        var settings = new Dictionary<string, string?>
        {
            ["HotPath:Topics:0:topic"] = "orders",
            ["HotPath:Topics:0:partitions"] = "3",
            ["HotPath:Topics:0:ReplicationFactor"] = "1",
        };
        foreach ((string key, string value) in keys)
        {
            settings[$"HotPath:Topics:0:{key}"] = value;
        }

        return settings;
    }

    private readonly record struct WithReference(string Text);
}
