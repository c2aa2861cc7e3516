using HotPath.Consumers;

namespace HotPath.Kafka.Internal;

/// <summary>
/// The consumer-group handler of a <see cref="KafkaMirror{T}"/>: a struct, so the group's loop is specialised for it
/// and calls it without virtual dispatch; it forwards to the mirror.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread safety: called by the group member's thread only.</remarks>
internal readonly struct MirrorHandler<T> : IEventHandler<T>
    where T : struct
{
    private readonly KafkaMirror<T> _mirror;

    public MirrorHandler(KafkaMirror<T> mirror) => _mirror = mirror;

    public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch) =>
        _mirror.OnEvent(in @event, partition, offset, endOfBatch);
}
