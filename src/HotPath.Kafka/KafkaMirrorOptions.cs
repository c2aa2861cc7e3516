using HotPath.Kafka.Internal;

using System.Globalization;

namespace HotPath.Kafka;

/// <summary>The settings of a <see cref="KafkaMirror{T}"/> beyond Confluent's <c>ProducerConfig</c>.</summary>
/// <remarks>Validated once, when the mirror is created (<see cref="Validate"/>). Thread safety: immutable after init.</remarks>
public sealed record KafkaMirrorOptions
{
    /// <summary>The Kafka topic to write to, or <see langword="null"/> for the local topic's name (the default).</summary>
    public string? KafkaTopic { get; init; }

    /// <summary>
    /// Whether <see cref="KafkaMirror{T}.StartAsync"/> creates the Kafka topic when it does not exist, with the local
    /// topic's partition count and <c>TopicOptions.ReplicationFactor</c>. Default <see langword="false"/>: a missing
    /// topic is an error.
    /// </summary>
    public bool CreateTopicIfMissing { get; init; }

    /// <summary>
    /// How long <see cref="KafkaMirror{T}.StartAsync"/> may take to read (and create) the topic's metadata before it
    /// fails with <see cref="KafkaBridgeException"/>; this is the bound for unreachable brokers. Default 15 s.
    /// </summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the mirror waits, at the end of each batch, for Kafka to acknowledge the batch's deliveries before it
    /// faults. Must be shorter than the consumer group's <c>RebalanceTimeout</c> (a member that waits longer would be
    /// fenced). librdkafka retries internally for up to <c>message.timeout.ms</c>; set that below this value so a
    /// permanent failure is reported as the delivery error, not as a time-out. Default 25 s.
    /// </summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>How long <see cref="KafkaMirror{T}.Dispose"/> waits for the producer to flush. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Called once, on the mirroring thread, when the mirror faults (the exception is also in
    /// <see cref="KafkaMirror{T}.Fault"/>). Must not block for long and must not dispose the mirror. Null by default.
    /// </summary>
    public Action<Exception>? OnFault { get; init; }

    /// <summary>
    /// The Kafka <c>transactional.id</c> that switches the mirror to its transactional mode, or <see langword="null"/>
    /// (the default) for the idempotent, non-transactional mirror. Set it here, not in the <c>ProducerConfig</c> (a
    /// <c>TransactionalId</c> there is refused, so that one place decides the mode).
    /// </summary>
    /// <remarks>
    /// <para>In transactional mode <see cref="KafkaMirror{T}.StartAsync"/> calls <c>InitTransactions</c> (which fences
    /// an older producer with the same id and aborts its open transaction), and each mirrored batch is one Kafka
    /// transaction: <c>BeginTransaction</c>, the batch's records, <c>CommitTransaction</c>; the local offset is committed
    /// only after Kafka committed. Consumers with <c>isolation.level=read_committed</c> then never see a batch that
    /// was not committed. Use one id per mirror instance that must fence its predecessor (for example one per
    /// mirrored topic and application), and never the same id in two live mirrors.</para>
    /// <para>With <c>KafkaSource.CommitOffsetsThrough</c> the transaction spans a source checkpoint instead of a batch and
    /// also carries the source's Kafka offsets (see the package README, "Exactly once from Kafka to Kafka").</para>
    /// </remarks>
    public string? TransactionalId { get; init; }

    /// <summary>Throws when an option breaks its rule; the message names the option, the rule and the value.</summary>
    /// <exception cref="ArgumentException">An option breaks its rule.</exception>
    /// <remarks>Thread safety: any thread.</remarks>
    public void Validate()
    {
        if (KafkaTopic is not null)
        {
            KafkaNames.ValidateTopic(nameof(KafkaTopic), KafkaTopic);
        }

        if (TransactionalId is not null && (TransactionalId.Length == 0 || string.IsNullOrWhiteSpace(TransactionalId)))
        {
            throw new ArgumentException(
                $"{nameof(TransactionalId)} must be null (not transactional) or a non-blank transactional.id, was '{TransactionalId}'",
                nameof(TransactionalId));
        }

        RequirePositive(nameof(StartupTimeout), StartupTimeout);
        RequirePositive(nameof(AckTimeout), AckTimeout);
        RequirePositive(nameof(CloseTimeout), CloseTimeout);
    }

    internal static void RequirePositive(string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(
                name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be positive and at most one day, was {value}"));
        }
    }
}
