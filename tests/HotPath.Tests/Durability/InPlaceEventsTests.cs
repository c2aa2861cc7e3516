using System.Runtime.InteropServices;
using HotPath.Durability;
using HotPath.Tests.Support;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="InPlaceEvents.Of{T}"/>: a batch is written in place only when the ring is pinned and the batch lies inside
/// it, with the address of its first byte; anything else (an unpinned ring, a span of other memory, an empty batch) is
/// copied.
/// </summary>
public sealed class InPlaceEventsTests
{
    [Fact]
    public void Of_ABatchInsideAPinnedRing_IsItsAddressInTheRing()
    {
        TestEvent[] ring = GC.AllocateArray<TestEvent>(64, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(ring, 0);

        InPlaceEvents whole = InPlaceEvents.Of(ring, address, ring);
        InPlaceEvents middle = InPlaceEvents.Of(ring, address, ring.AsSpan(10, 5));
        InPlaceEvents last = InPlaceEvents.Of(ring, address, ring.AsSpan(63, 1));

        Assert.True(whole.IsSet && middle.IsSet && last.IsSet);
        Assert.Equal(address, whole.Address);
        Assert.Equal(address + (10 * Marshal.SizeOf<TestEvent>()), middle.Address);
        Assert.Equal(Marshal.UnsafeAddrOfPinnedArrayElement(ring, 63), last.Address);
        Assert.Same(ring, middle.Owner);
    }

    [Fact]
    public void Of_AnUnpinnedRingOrAnEmptyBatch_IsCopied()
    {
        TestEvent[] ring = GC.AllocateArray<TestEvent>(64, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(ring, 0);

        Assert.False(InPlaceEvents.Of(ring, ringAddress: 0, ring.AsSpan(0, 4)).IsSet);
        Assert.False(InPlaceEvents.Of(ring, address, ReadOnlySpan<TestEvent>.Empty).IsSet);
        Assert.False(default(InPlaceEvents).IsSet);
    }

    [Fact]
    public void Of_ABatchOfOtherMemory_IsCopied()
    {
        TestEvent[] ring = GC.AllocateArray<TestEvent>(64, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(ring, 0);
        // A second array right after the ring, or anywhere: its span starts outside the ring's bytes or runs past them.
        TestEvent[] other = GC.AllocateArray<TestEvent>(64, pinned: true);
        TestEvent[] larger = GC.AllocateArray<TestEvent>(128, pinned: true);

        Assert.False(InPlaceEvents.Of(ring, address, other.AsSpan(0, 4)).IsSet);
        Assert.False(InPlaceEvents.Of(ring, address, larger.AsSpan(0, 128)).IsSet);
        // A span that starts inside the ring's memory but runs past its end (memory laid out right after it).
        Span<TestEvent> pastTheEnd = MemoryMarshal.CreateSpan(ref ring[60], 8);
        Assert.False(InPlaceEvents.Of(ring, address, pastTheEnd).IsSet);
    }
}
