using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

public class TopicOptionsTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-8)]
    public void Constructor_CapacityNotPowerOfTwo_ThrowsNamingCapacityAndValue(int capacity)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Topic<TestEvent>(new TopicOptions { Name = "t", Capacity = capacity }));

        Assert.Equal("Capacity", error.ParamName);
        Assert.Contains($"Capacity must be a power of two from 1 to 1073741824, was {capacity}", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_PartitionCountBelowOne_ThrowsNamingPartitionCount(int partitions)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Topic<TestEvent>(new TopicOptions { Name = "t", PartitionCount = partitions }));

        Assert.Equal("PartitionCount", error.ParamName);
        Assert.Contains($"PartitionCount must be at least 1, was {partitions}", error.Message);
    }

    [Fact]
    public void Constructor_NullName_ThrowsArgumentNull()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new Topic<TestEvent>(new TopicOptions { Name = null! }));

        Assert.Equal("Name", error.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    public void Constructor_IllegalName_ThrowsNamingTheRule(string name)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new Topic<TestEvent>(new TopicOptions { Name = name }));

        Assert.Equal("Name", error.ParamName);
        Assert.Contains(name.Length == 0 ? "must be 1 to 249 characters long" : "[a-zA-Z0-9._-]", error.Message);
    }

    [Fact]
    public void Constructor_ReplicationFactorZero_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Topic<TestEvent>(new TopicOptions { Name = "t", ReplicationFactor = 0 }));

        Assert.Contains("ReplicationFactor must be at least 1, was 0", error.Message);
    }

    [Fact]
    public void Constructor_NullOptions_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new Topic<TestEvent>(null!));
    }

    [Fact]
    public void Constructor_ValidOptions_CreatesPartitionsOfTheCapacity()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", PartitionCount = 3, Capacity = 16 });

        Assert.Equal(3, topic.PartitionCount);
        Assert.All(topic.Partitions, p => Assert.Equal(16, p.Capacity));
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.Id));
    }
}
