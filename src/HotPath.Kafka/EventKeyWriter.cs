using System.Buffers;

namespace HotPath.Kafka;

/// <summary>
/// Writes the Kafka record key of an event, as bytes, into <paramref name="output"/> (for example the UTF-8 of a
/// customer id). Used by <see cref="KafkaMirror{T}"/>; without one, records have no key.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="event">The event, read-only in its ring slot.</param>
/// <param name="output">A reused buffer; call <c>GetSpan</c> and <c>Advance</c>. Writing nothing gives an empty (not null) key.</param>
/// <remarks>
/// To keep Kafka's placement equal to the local one, write the same bytes the local topic's partitioner hashed
/// (with <c>Partitioner.Kafka</c> and a string key: its UTF-8). Thread safety: called on the mirroring thread only.
/// </remarks>
public delegate void EventKeyWriter<T>(ref readonly T @event, IBufferWriter<byte> output)
    where T : struct;
