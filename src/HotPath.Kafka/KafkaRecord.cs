using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace HotPath.Kafka;

/// <summary>
/// The Kafka record a <see cref="KafkaSource{T}"/> turned into a local event: Kafka topic, partition and offset, key,
/// headers and timestamp. Obtained in a handler with <c>KafkaSource.TryGetRecord</c>.
/// </summary>
/// <remarks>
/// Handlers deduplicate on <see cref="Offset"/> (a record consumed again after a Kafka rebalance or a restart has the same
/// Kafka offset, whatever local offset it gets) and continue a producer's trace from its headers
/// (<see cref="TryGetTraceContext"/>). <see cref="Key"/> and <see cref="Headers"/> are the consumer's own objects, shared
/// by every local group that reads the event: read them, never change them. Thread-safety: an immutable value; the
/// objects it refers to are safe to read from any thread.
/// </remarks>
public readonly struct KafkaRecord
{
    internal KafkaRecord(string topic, int partition, long offset, byte[]? key, Headers? headers, Timestamp timestamp)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Headers = headers;
        Timestamp = timestamp;
    }

    /// <summary>The Kafka topic.</summary>
    public string Topic { get; }

    /// <summary>The Kafka partition (the same number as the local one).</summary>
    public int Partition { get; }

    /// <summary>The record's offset in its Kafka partition.</summary>
    public long Offset { get; }

    /// <summary>The record key's bytes, or null for a record without a key.</summary>
    public byte[]? Key { get; }

    /// <summary>The record's headers, or null when it has none.</summary>
    public Headers? Headers { get; }

    /// <summary>The record's timestamp (creation or log-append time, per the topic's configuration).</summary>
    public Timestamp Timestamp { get; }

    /// <summary>
    /// Reads the W3C trace context the producer put in the <c>traceparent</c> header (and <c>tracestate</c>, if any), for
    /// the handler's span to continue the producer's trace (as its parent, or as a link).
    /// </summary>
    /// <param name="context">The remote context, or default.</param>
    /// <returns>False when there is no <c>traceparent</c> header or it is not a valid W3C trace parent.</returns>
    public bool TryGetTraceContext(out ActivityContext context)
    {
        context = default;
        if (Headers is null || !Headers.TryGetLastBytes("traceparent", out byte[] traceParent))
        {
            return false;
        }

        string? traceState = Headers.TryGetLastBytes("tracestate", out byte[] state) ? Encoding.UTF8.GetString(state) : null;
        return ActivityContext.TryParse(Encoding.UTF8.GetString(traceParent), traceState, isRemote: true, out context);
    }
}
