using System.Diagnostics.Metrics;
using System.Reflection;

namespace HotPath.Kafka;

/// <summary>
/// The names of the metrics the Kafka bridge reports through <see cref="System.Diagnostics.Metrics"/>: subscribe to
/// the meter <see cref="MeterName"/> (OpenTelemetry: <c>AddMeter("HotPath")</c>).
/// </summary>
/// <remarks>
/// <para>Instruments, all <see cref="Counter{T}"/> of <see cref="long"/>, following OpenTelemetry's messaging
/// conventions:</para>
/// <list type="bullet">
/// <item><see cref="SentMessages"/>: events a <see cref="KafkaMirror{T}"/> has sent and Kafka acknowledged.</item>
/// <item><see cref="ConsumedMessages"/>: records a <see cref="KafkaSource{T}"/> consumed and published locally.</item>
/// <item><see cref="Errors"/>: failures, tagged with <see cref="ErrorTypeTag"/> (for example <c>delivery_failed</c>,
/// <c>ack_timeout</c>, <c>serialization</c>, <c>commit_failed</c>).</item>
/// </list>
/// <para>Tags: <see cref="SystemTag"/> = <c>kafka</c>, <see cref="DestinationNameTag"/> = the Kafka topic,
/// <see cref="PartitionIdTag"/> = the partition number as a string (absent on topic-wide errors). Counts are added
/// once per batch (mirror) or per poll round (source), not per event, from tag arrays built once per partition, so
/// reporting does not allocate.</para>
/// <para>Thread safety: constants and a process-wide meter; safe from any thread.</para>
/// </remarks>
public static class KafkaMetrics
{
    /// <summary>The meter name, <c>HotPath</c>; its version is the HotPath.Kafka assembly version.</summary>
    public const string MeterName = "HotPath";

    /// <summary>Counter of events sent to Kafka and acknowledged (mirror).</summary>
    public const string SentMessages = "messaging.client.sent.messages";

    /// <summary>Counter of Kafka records consumed and published into a local topic (source).</summary>
    public const string ConsumedMessages = "messaging.client.consumed.messages";

    /// <summary>Counter of bridge failures, tagged with <see cref="ErrorTypeTag"/>.</summary>
    public const string Errors = "hotpath.kafka.errors";

    /// <summary>Tag naming the messaging system; always <c>kafka</c>.</summary>
    public const string SystemTag = "messaging.system";

    /// <summary>Tag naming the Kafka topic.</summary>
    public const string DestinationNameTag = "messaging.destination.name";

    /// <summary>Tag naming the partition number, as a string.</summary>
    public const string PartitionIdTag = "messaging.destination.partition.id";

    /// <summary>Tag naming the kind of failure on <see cref="Errors"/>.</summary>
    public const string ErrorTypeTag = "error.type";

    internal static readonly Meter Meter = new(
        MeterName,
        typeof(KafkaMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(KafkaMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Sent = Meter.CreateCounter<long>(
        SentMessages, unit: "{message}", description: "Events sent to Kafka by a HotPath mirror and acknowledged by the brokers.");

    internal static readonly Counter<long> Consumed = Meter.CreateCounter<long>(
        ConsumedMessages, unit: "{message}", description: "Kafka records consumed by a HotPath source and published into a local topic.");

    internal static readonly Counter<long> ErrorCount = Meter.CreateCounter<long>(
        Errors, unit: "{error}", description: "Failures of the HotPath Kafka bridge, by error.type.");

    /// <summary>The tags of one partition, built once so that adding to a counter does not allocate.</summary>
    internal static KeyValuePair<string, object?>[] PartitionTags(string kafkaTopic, int partition) =>
    [
        new(SystemTag, "kafka"),
        new(DestinationNameTag, kafkaTopic),
        new(PartitionIdTag, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>Counts one failure (rare path; allocates its tag array).</summary>
    internal static void RecordError(string kafkaTopic, int? partition, string errorType)
    {
        if (partition is int p)
        {
            ErrorCount.Add(1, [new(SystemTag, "kafka"), new(DestinationNameTag, kafkaTopic),
                new(PartitionIdTag, p.ToString(System.Globalization.CultureInfo.InvariantCulture)), new(ErrorTypeTag, errorType)]);
        }
        else
        {
            ErrorCount.Add(1, [new(SystemTag, "kafka"), new(DestinationNameTag, kafkaTopic), new(ErrorTypeTag, errorType)]);
        }
    }
}
