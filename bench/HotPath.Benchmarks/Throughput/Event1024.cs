using System.Runtime.InteropServices;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// A 1024-byte event: the sequence number in the first 8 bytes, its complement in the last 8 (so the reader
/// touches both ends of the event and detects a torn copy), zeros between.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 1024)]
public struct Event1024 : IBenchEvent<Event1024>
{
    /// <summary>The sequence number.</summary>
    [FieldOffset(0)]
    public long Value;

    /// <summary>The complement of the sequence number.</summary>
    [FieldOffset(1024 - sizeof(long))]
    public long Tail;

    /// <inheritdoc/>
    public static int Size => 1024;

    /// <inheritdoc/>
    public readonly long Sequence => Value;

    /// <inheritdoc/>
    public static Event1024 Create(long sequence) => new() { Value = sequence, Tail = ~sequence };

    /// <inheritdoc/>
    public static bool IsIntact(in Event1024 @event, long sequence) => @event.Value == sequence && @event.Tail == ~sequence;
}
