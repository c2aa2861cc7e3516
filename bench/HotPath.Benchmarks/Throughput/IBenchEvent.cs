namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// An event a throughput benchmark moves from writer to reader: a sequence number plus payload, built by the
/// writer and checked by the reader, so that a benchmark proves it delivered every event intact and in order.
/// </summary>
/// <typeparam name="TSelf">The event type itself.</typeparam>
public interface IBenchEvent<TSelf>
    where TSelf : unmanaged, IBenchEvent<TSelf>
{
    /// <summary>The event's size in bytes, as the benchmark parameter names it.</summary>
    static abstract int Size { get; }

    /// <summary>The sequence number the writer gave the event.</summary>
    long Sequence { get; }

    /// <summary>Builds the event with sequence number <paramref name="sequence"/> and a payload derived from it.</summary>
    /// <param name="sequence">The sequence number.</param>
    /// <returns>The event.</returns>
    static abstract TSelf Create(long sequence);

    /// <summary>True when the event carries <paramref name="sequence"/> and the payload <see cref="Create"/> derives from it.</summary>
    /// <param name="event">The event as received.</param>
    /// <param name="sequence">The sequence number the reader expects.</param>
    /// <returns>False when the event is missing, duplicated, reordered or torn.</returns>
    static abstract bool IsIntact(in TSelf @event, long sequence);
}
