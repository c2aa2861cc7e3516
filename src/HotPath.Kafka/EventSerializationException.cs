using System.Globalization;
using System.Text;

namespace HotPath.Kafka;

/// <summary>
/// Thrown when an event cannot be turned into bytes or read back from them: the payload has the wrong
/// length, is not valid JSON for the event type, or the serializer itself failed.
/// </summary>
/// <remarks>
/// <para>
/// A serializer knows only the value and the bytes, so it throws without a location. Code that knows where
/// the bytes came from or go to (a consumer loop, the bridge) rethrows through
/// <see cref="WithLocation(string, int?, long?)"/> so that the message names the topic, partition and offset.
/// </para>
/// <para>Thread safety: instances are immutable once constructed.</para>
/// </remarks>
public sealed class EventSerializationException : Exception
{
    private readonly string _reason;

    /// <summary>Creates an exception for a failure whose location is not known.</summary>
    /// <param name="eventType">The event type that was being serialized or deserialized.</param>
    /// <param name="reason">What went wrong, with the rule and the actual value.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public EventSerializationException(Type eventType, string reason, Exception? innerException = null)
        : this(eventType, reason, topic: null, partition: null, offset: null, innerException)
    {
    }

    /// <summary>Creates an exception for a failure at a known position in a Kafka topic.</summary>
    /// <param name="eventType">The event type that was being serialized or deserialized.</param>
    /// <param name="reason">What went wrong, with the rule and the actual value.</param>
    /// <param name="topic">The topic of the record, or <see langword="null"/> when unknown.</param>
    /// <param name="partition">The partition of the record, or <see langword="null"/> when unknown.</param>
    /// <param name="offset">The offset of the record, or <see langword="null"/> when unknown (for example before it was produced).</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public EventSerializationException(
        Type eventType,
        string reason,
        string? topic,
        int? partition,
        long? offset,
        Exception? innerException = null)
        : base(FormatMessage(eventType, reason, topic, partition, offset), innerException)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(reason);
        EventType = eventType;
        _reason = reason;
        Topic = topic;
        Partition = partition;
        Offset = offset;
    }

    /// <summary>The event type that was being serialized or deserialized.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public Type EventType { get; }

    /// <summary>The topic of the record, or <see langword="null"/> when unknown.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public string? Topic { get; }

    /// <summary>The partition of the record, or <see langword="null"/> when unknown.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public int? Partition { get; }

    /// <summary>The offset of the record, or <see langword="null"/> when unknown.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public long? Offset { get; }

    /// <summary>
    /// Returns a copy of this exception that also names where the record lives; the inner exception is kept.
    /// </summary>
    /// <param name="topic">The topic of the record.</param>
    /// <param name="partition">The partition of the record, or <see langword="null"/> when unknown.</param>
    /// <param name="offset">The offset of the record, or <see langword="null"/> when unknown.</param>
    /// <returns>A new exception to throw in place of this one.</returns>
    /// <remarks>Thread safety: safe to call from any thread; this instance is not changed.</remarks>
    public EventSerializationException WithLocation(string topic, int? partition, long? offset)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return new EventSerializationException(EventType, _reason, topic, partition, offset, InnerException);
    }

    private static string FormatMessage(Type eventType, string reason, string? topic, int? partition, long? offset)
    {
        var message = new StringBuilder();
        message.Append("Event of type ").Append(eventType?.FullName ?? "<null>").Append(": ").Append(reason);
        if (topic is not null || partition is not null || offset is not null)
        {
            message.Append(" (topic=").Append(topic ?? "?")
                .Append(", partition=").Append(partition?.ToString(CultureInfo.InvariantCulture) ?? "?")
                .Append(", offset=").Append(offset?.ToString(CultureInfo.InvariantCulture) ?? "?")
                .Append(')');
        }

        return message.ToString();
    }
}
