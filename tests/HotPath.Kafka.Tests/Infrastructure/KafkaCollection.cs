namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>Test classes in this collection share one <see cref="KafkaClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaClusterFixture>
{
    public const string Name = "Kafka cluster";
}
