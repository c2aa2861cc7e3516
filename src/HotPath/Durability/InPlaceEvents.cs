using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HotPath.Durability;

/// <summary>
/// Where a batch's events sit in pinned memory that keeps them unchanged until the journal wrote them (a durable
/// partition's ring: the journaller's sequence gates those slots until the journal's flushed end passes them), so the
/// journal may write them from there instead of copying them (<see cref="JournalStaging.StageInPlace"/>). The default
/// value means "copy them".
/// </summary>
/// <remarks>
/// <para>Memory ordering: the journaller reads the events (checksum) after the publication's acquire, and the kernel
/// reads them again inside the <c>pwritev</c> the journaller calls later, on the same thread. A writer reuses a slot only
/// after an acquire read of the journaller's sequence past it, which the journaller raises (a release store, ARM64
/// <c>stlr</c>, ordering every earlier load and store of the thread, the system call's among them) only after the write
/// returned. So no writer stores into a slot while the journal still reads it.</para>
/// <para>Thread-safety: an immutable value.</para>
/// </remarks>
internal readonly struct InPlaceEvents
{
    private InPlaceEvents(nint address, object owner)
    {
        Address = address;
        Owner = owner;
    }

    /// <summary>The address of the batch's first byte.</summary>
    public nint Address { get; }

    /// <summary>The pinned array that holds the events (kept referenced by the journal until they are written).</summary>
    public object? Owner { get; }

    /// <summary>True when the events may be written in place.</summary>
    public bool IsSet => Owner is not null;

    /// <summary>
    /// <paramref name="events"/> in place when they lie inside <paramref name="ring"/>, a pinned array whose first element
    /// is at <paramref name="ringAddress"/> (0: not pinned, copy them); otherwise the default (copy them).
    /// </summary>
    public static InPlaceEvents Of<T>(T[] ring, nint ringAddress, ReadOnlySpan<T> events)
        where T : struct
    {
        if (ringAddress == 0 || events.IsEmpty)
        {
            return default;
        }

        // The events' byte distance from the ring's first element: inside the array, or the span is other memory.
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(ring), ref MemoryMarshal.GetReference(events));
        nint ringBytes = (nint)ring.Length * Unsafe.SizeOf<T>();
        return offset >= 0 && offset + (nint)events.Length * Unsafe.SizeOf<T>() <= ringBytes
            ? new InPlaceEvents(ringAddress + offset, ring)
            : default;
    }
}
