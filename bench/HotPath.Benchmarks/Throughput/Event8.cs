namespace HotPath.Benchmarks.Throughput;

/// <summary>An 8-byte event: the sequence number is the whole event.</summary>
public struct Event8 : IBenchEvent<Event8>
{
    /// <summary>The sequence number.</summary>
    public long Value;

    /// <inheritdoc/>
    public static int Size => 8;

    /// <inheritdoc/>
    public readonly long Sequence => Value;

    /// <inheritdoc/>
    public static Event8 Create(long sequence) => new() { Value = sequence };

    /// <inheritdoc/>
    public static bool IsIntact(in Event8 @event, long sequence) => @event.Value == sequence;
}
