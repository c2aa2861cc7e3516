using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

/// <summary>The settings of a <see cref="KafkaSource{T}"/> beyond Confluent's <c>ConsumerConfig</c>.</summary>
/// <remarks>Validated once, when the source is created (<see cref="Validate"/>). Thread safety: immutable after init.</remarks>
public sealed record KafkaSourceOptions
{
    /// <summary>The Kafka topic to read, or <see langword="null"/> for the local topic's name (the default).</summary>
    public string? KafkaTopic { get; init; }

    /// <summary>
    /// How long <see cref="KafkaSource{T}.StartAsync"/> may take to read the topic's metadata before it fails with
    /// <see cref="KafkaBridgeException"/>; this is the bound for unreachable brokers. Default 15 s.
    /// </summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the consume loop looks at the local partitions' start offsets and commits to Kafka what every lossless
    /// local group has handled. Default 200 ms.
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest single wait of the consume loop for a record or for a free local slot. Default 100 ms.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long <see cref="KafkaSource{T}.Dispose"/> waits for the consume loop to commit and leave the Kafka group. Default 10 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called once, on the consume thread, when the source faults (the exception is also in
    /// <see cref="KafkaSource{T}.Fault"/>): a record that does not deserialize (<see cref="EventSerializationException"/>
    /// naming topic, partition and offset) or a partition the local topic does not have. Must not block for long and
    /// must not dispose the source. Null by default.
    /// </summary>
    public Action<Exception>? OnFault { get; init; }

    /// <summary>Throws when an option breaks its rule; the message names the option, the rule and the value.</summary>
    /// <exception cref="ArgumentException">An option breaks its rule.</exception>
    /// <remarks>Thread safety: any thread.</remarks>
    public void Validate()
    {
        if (KafkaTopic is not null)
        {
            KafkaNames.ValidateTopic(nameof(KafkaTopic), KafkaTopic);
        }

        KafkaMirrorOptions.RequirePositive(nameof(StartupTimeout), StartupTimeout);
        KafkaMirrorOptions.RequirePositive(nameof(CommitInterval), CommitInterval);
        KafkaMirrorOptions.RequirePositive(nameof(PollTimeout), PollTimeout);
        KafkaMirrorOptions.RequirePositive(nameof(CloseTimeout), CloseTimeout);
    }
}
