using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Partitioning;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

/// <summary>
/// For every key type <see cref="Partitioner"/> takes and both built-in partitioners, the topic routes a key to
/// exactly <c>Partitioner.PartitionFor(key, PartitionCount)</c>, through every keyed member: <c>PartitionFor</c>,
/// <c>Publish</c> and <c>TryPublish</c>, with and without a cancellation token or a time-out. Each key is written as a caller writes it (an <c>int</c> variable, a
/// <c>Guid</c>, ...), so overload resolution is part of what is tested.
/// </summary>
public sealed class TopicKeyRoutingProperties
{
    private const int MaxTest = 200;

    [Property(MaxTest = MaxTest)]
    public Property Route_Int32Key_IsPartitionersInt32Partition() =>
        Prop.ForAll(Partitioners(), PartitionCounts(), ArbMap.Default.ArbFor<int>(), (partitioner, count, key) =>
        {
            using var topic = Create(partitioner, count);
            int expected = partitioner.PartitionFor(key, count);

            AssertRoutedTo(
                expected,
                topic.PartitionFor(key),
                topic.Publish(key, new TestEvent(1)),
                (topic.TryPublish(key, new TestEvent(2), out PublishResult tried), tried),
                topic.Publish(key, new TestEvent(3), CancellationToken.None),
                (topic.TryPublish(key, new TestEvent(4), TimeSpan.FromSeconds(1), out PublishResult waited), waited));
        });

    [Property(MaxTest = MaxTest)]
    public Property Route_Int64Key_IsPartitionersInt64Partition() =>
        Prop.ForAll(Partitioners(), PartitionCounts(), ArbMap.Default.ArbFor<long>(), (partitioner, count, key) =>
        {
            using var topic = Create(partitioner, count);
            int expected = partitioner.PartitionFor(key, count);

            AssertRoutedTo(
                expected,
                topic.PartitionFor(key),
                topic.Publish(key, new TestEvent(1)),
                (topic.TryPublish(key, new TestEvent(2), out PublishResult tried), tried),
                topic.Publish(key, new TestEvent(3), CancellationToken.None),
                (topic.TryPublish(key, new TestEvent(4), TimeSpan.FromSeconds(1), out PublishResult waited), waited));
        });

    [Property(MaxTest = MaxTest)]
    public Property Route_GuidKey_IsPartitionersGuidPartition() =>
        Prop.ForAll(Partitioners(), PartitionCounts(), ArbMap.Default.ArbFor<Guid>(), (partitioner, count, key) =>
        {
            using var topic = Create(partitioner, count);
            int expected = partitioner.PartitionFor(key, count);

            AssertRoutedTo(
                expected,
                topic.PartitionFor(key),
                topic.Publish(key, new TestEvent(1)),
                (topic.TryPublish(key, new TestEvent(2), out PublishResult tried), tried),
                topic.Publish(key, new TestEvent(3), CancellationToken.None),
                (topic.TryPublish(key, new TestEvent(4), TimeSpan.FromSeconds(1), out PublishResult waited), waited));
        });

    [Property(MaxTest = MaxTest)]
    public Property Route_StringKey_IsPartitionersStringPartition() =>
        Prop.ForAll(Partitioners(), PartitionCounts(), ArbMap.Default.ArbFor<NonNull<string>>(), (partitioner, count, key) =>
        {
            using var topic = Create(partitioner, count);
            int expected = partitioner.PartitionFor(key.Get, count);

            AssertRoutedTo(
                expected,
                topic.PartitionFor(key.Get),
                topic.Publish(key.Get, new TestEvent(1)),
                (topic.TryPublish(key.Get, new TestEvent(2), out PublishResult tried), tried),
                topic.Publish(key.Get, new TestEvent(3), CancellationToken.None),
                (topic.TryPublish(key.Get, new TestEvent(4), TimeSpan.FromSeconds(1), out PublishResult waited), waited));
        });

    [Property(MaxTest = MaxTest)]
    public Property Route_ByteKey_IsPartitionersSpanPartition() =>
        Prop.ForAll(Partitioners(), PartitionCounts(), ArbMap.Default.ArbFor<NonNull<byte[]>>(), (partitioner, count, key) =>
        {
            using var topic = Create(partitioner, count);
            ReadOnlySpan<byte> bytes = key.Get;
            int expected = partitioner.PartitionFor(bytes, count);

            AssertRoutedTo(
                expected,
                topic.PartitionFor(bytes),
                topic.Publish(bytes, new TestEvent(1)),
                (topic.TryPublish(bytes, new TestEvent(2), out PublishResult tried), tried),
                topic.Publish(bytes, new TestEvent(3), CancellationToken.None),
                (topic.TryPublish(bytes, new TestEvent(4), TimeSpan.FromSeconds(1), out PublishResult waited), waited));
        });

    /// <summary>Every route of one key (each overload bound by the key's static type) went to <paramref name="expected"/>.</summary>
    private static void AssertRoutedTo(
        int expected, int partitionFor, PublishResult published, (bool Ok, PublishResult Result) tried,
        PublishResult publishedWithToken, (bool Ok, PublishResult Result) waited)
    {
        Assert.Equal(expected, partitionFor);
        Assert.Equal(expected, published.Partition);
        Assert.True(tried.Ok);
        Assert.Equal(expected, tried.Result.Partition);
        Assert.Equal(expected, publishedWithToken.Partition);
        Assert.True(waited.Ok);
        Assert.Equal(expected, waited.Result.Partition);
    }

    private static Topic<TestEvent> Create(Partitioner partitioner, int partitionCount) =>
        new(new TopicOptions { Name = "routing", PartitionCount = partitionCount, Capacity = 8, Partitioner = partitioner });

    private static Arbitrary<Partitioner> Partitioners() =>
        Gen.Elements(Partitioner.XxHash3, Partitioner.Kafka).ToArbitrary();

    // 2 and more: with one partition every key agrees.
    private static Arbitrary<int> PartitionCounts() => Gen.Choose(2, 64).ToArbitrary();
}
