using System.Buffers;

namespace HotPath.Kafka.Serialization;

/// <summary>
/// Turns events of type <typeparamref name="T"/> into Kafka record bytes and back.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>
/// Writing goes through an <see cref="IBufferWriter{T}"/> so the bytes land directly in a buffer the caller
/// owns, typically a pooled one that is reused for every record: the serializer asks for a span, writes into
/// it and advances, with no intermediate array. Reading takes a <see cref="ReadOnlySpan{T}"/> over the
/// record as the client delivered it, so nothing is copied before the event is built.
/// </para>
/// <para>
/// Contract for implementations: <see cref="Serialize"/> appends exactly one event and never reads or
/// rewrites bytes already in the writer; <see cref="Deserialize"/> reads exactly the bytes of one event and
/// does not keep a reference to <c>data</c> after it returns. Both report failures with
/// <see cref="EventSerializationException"/> (misuse such as a <see langword="null"/> writer still throws
/// <see cref="ArgumentNullException"/>).
/// </para>
/// <para>Thread safety: implementations are stateless after construction and safe to use from any number of threads at once.</para>
/// </remarks>
public interface IEventSerializer<T>
{
    /// <summary>Appends the bytes of <paramref name="value"/> to <paramref name="output"/>.</summary>
    /// <param name="value">The event to write.</param>
    /// <param name="output">Where the bytes go; the serializer calls <c>GetSpan</c> and <c>Advance</c> on it.</param>
    /// <exception cref="EventSerializationException">The value cannot be serialized. The writer may then hold a
    /// partial payload, so the caller discards what was written for this event (for example by resetting a pooled writer).</exception>
    /// <remarks>Thread safety: safe to call concurrently, each call with its own <paramref name="output"/>.</remarks>
    void Serialize(in T value, IBufferWriter<byte> output);

    /// <summary>Reads one event from <paramref name="data"/>, which holds exactly one serialized event.</summary>
    /// <param name="data">The record bytes.</param>
    /// <returns>The event.</returns>
    /// <exception cref="EventSerializationException">The bytes are not a valid event of type <typeparamref name="T"/>.</exception>
    /// <remarks>Thread safety: safe to call concurrently.</remarks>
    T Deserialize(ReadOnlySpan<byte> data);
}
