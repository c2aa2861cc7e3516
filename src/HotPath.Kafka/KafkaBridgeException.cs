namespace HotPath.Kafka;

/// <summary>
/// Thrown (or reported through a fault callback) when a <see cref="KafkaMirror{T}"/> or <see cref="KafkaSource{T}"/>
/// cannot do its job: the Kafka topic is missing or has another partition count than the local topic, the brokers
/// cannot be reached in time, or Kafka refused a delivery for good.
/// </summary>
/// <remarks>
/// <para>The message names the Kafka topic, the rule that was broken and the values seen, for example
/// <c>partition counts must be equal: local topic 'orders' has 3, Kafka topic 'orders' has 4</c>. When the failure came
/// from Confluent.Kafka, <see cref="Exception.InnerException"/> is the client's exception and <see cref="ErrorCode"/>
/// its code.</para>
/// <para>Thread safety: instances are immutable once constructed.</para>
/// </remarks>
public sealed class KafkaBridgeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kafkaTopic">The Kafka topic involved.</param>
    /// <param name="message">What went wrong, with the rule and the actual values.</param>
    /// <param name="partition">The partition involved, or <see langword="null"/> when the failure concerns the whole topic.</param>
    /// <param name="errorCode">Confluent.Kafka's error code, or <see langword="null"/> when the failure is HotPath's own check.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public KafkaBridgeException(
        string kafkaTopic,
        string message,
        int? partition = null,
        Confluent.Kafka.ErrorCode? errorCode = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(kafkaTopic);
        KafkaTopic = kafkaTopic;
        Partition = partition;
        ErrorCode = errorCode;
    }

    /// <summary>The Kafka topic involved.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public string KafkaTopic { get; }

    /// <summary>The partition involved, or <see langword="null"/> when the failure concerns the whole topic.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public int? Partition { get; }

    /// <summary>Confluent.Kafka's error code, or <see langword="null"/> when the failure is HotPath's own check.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public Confluent.Kafka.ErrorCode? ErrorCode { get; }
}
