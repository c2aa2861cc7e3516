using Confluent.Kafka;

namespace HotPath.Kafka.Internal;

/// <summary>
/// Copies and completes the Confluent configurations handed to the bridge: the caller's object is never changed,
/// settings the bridge's guarantees depend on are forced, and a conflicting explicit setting is an error.
/// </summary>
/// <remarks>Thread safety: pure functions of their arguments, safe from any thread (the input must not change meanwhile).</remarks>
internal static class KafkaClientConfigs
{
    /// <summary>
    /// The producer settings of a mirror: idempotent, acks=all, no topic auto-creation unless asked for, and
    /// <c>transactional.id</c> = <paramref name="transactionalId"/> (from <c>KafkaMirrorOptions.TransactionalId</c>).
    /// </summary>
    public static ProducerConfig ForMirror(ProducerConfig config, string paramName, string? transactionalId)
    {
        ArgumentNullException.ThrowIfNull(config, paramName);
        var copy = new ProducerConfig(config.ToDictionary(kv => kv.Key, kv => kv.Value));
        RequireBootstrap(copy.BootstrapServers, paramName);
        if (copy.EnableIdempotence == false)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ProducerConfig.EnableIdempotence)} must be true or unset: the mirror relies on the idempotent " +
                "producer for per-partition order without duplicates from internal retries, was false", paramName);
        }

        if (copy.Acks is { } acks && acks != Acks.All)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ProducerConfig.Acks)} must be All or unset: the mirror commits locally only what every in-sync " +
                $"replica has, was {acks}", paramName);
        }

        if (copy.EnableDeliveryReports == false)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ProducerConfig.EnableDeliveryReports)} must be true or unset: the mirror commits on delivery reports, was false",
                paramName);
        }

        if (copy.TransactionalId is not null)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ProducerConfig.TransactionalId)} must be unset: set KafkaMirrorOptions.TransactionalId instead, which " +
                $"switches the mirror to one Kafka transaction per batch, was '{copy.TransactionalId}'", paramName);
        }

        copy.TransactionalId = transactionalId;
        copy.EnableIdempotence = true;
        copy.Acks = Acks.All;
        // The mirror reads only partition, offset and error from a report: keep no key/value references.
        copy.DeliveryReportFields = "none";
        // librdkafka's producer default is true; a missing topic must be reported, not created with the broker's default count.
        copy.AllowAutoCreateTopics ??= false;
        return copy;
    }

    /// <summary>
    /// The consumer settings of a source: a group, no auto-commit (the source commits what local groups handled), and
    /// <c>isolation.level=read_committed</c> (an explicit read_uncommitted is refused: a local topic cannot take back a
    /// record that Kafka later aborts, so local groups would handle it as if it had been committed).
    /// </summary>
    public static ConsumerConfig ForSource(ConsumerConfig config, string paramName)
    {
        ArgumentNullException.ThrowIfNull(config, paramName);
        var copy = new ConsumerConfig(config.ToDictionary(kv => kv.Key, kv => kv.Value));
        RequireBootstrap(copy.BootstrapServers, paramName);
        if (string.IsNullOrWhiteSpace(copy.GroupId))
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ConsumerConfig.GroupId)} must name the Kafka consumer group whose offsets the source commits, was '{copy.GroupId}'",
                paramName);
        }

        if (copy.EnableAutoCommit == true)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ConsumerConfig.EnableAutoCommit)} must be false or unset: the source commits an offset only after " +
                "every lossless local group handled the record, was true", paramName);
        }

        if (copy.IsolationLevel is IsolationLevel.ReadUncommitted)
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ConsumerConfig.IsolationLevel)} must be ReadCommitted or unset: the source publishes each record into a " +
                "local topic, which cannot take it back if its Kafka transaction aborts later, was ReadUncommitted", paramName);
        }

        copy.IsolationLevel = IsolationLevel.ReadCommitted;
        copy.EnableAutoCommit = false;
        copy.EnableAutoOffsetStore = false;
        copy.EnablePartitionEof = false;
        copy.AllowAutoCreateTopics ??= false;
        return copy;
    }

    private static void RequireBootstrap(string? bootstrap, string paramName)
    {
        if (string.IsNullOrWhiteSpace(bootstrap))
        {
            throw new ArgumentException(
                $"{paramName}.{nameof(ClientConfig.BootstrapServers)} must list at least one broker as host:port, was '{bootstrap}'",
                paramName);
        }
    }
}
