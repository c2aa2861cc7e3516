using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace HotPath.Partitions;

/// <summary>
/// The slots of a run of consecutive offsets, as the ring holds them: the run up to the ring's end
/// (<see cref="Head"/>), then the rest from the ring's start (<see cref="Tail"/>, empty unless the run wraps). Every
/// copy into or out of a run of slots splits it here (<c>PublishBatch</c>, the lossy reader's copies), and the batch
/// claims index through it: the indexer of a batch is inlined into the user's fill loop, and here it is one compare
/// against the head's length and an access the JIT need not bounds-check again, with the spans' fields read from the
/// claim itself instead of the partition's slot array, mask and length on every element.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: an immutable view of the slots; who may touch them is the caller's protocol (a claim's writer, a reader below the published end).</remarks>
internal readonly ref struct SlotRun<T>
    where T : struct
{
    private readonly Span<T> _head;
    private readonly Span<T> _tail;

    /// <summary>The slots of offsets <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    /// <param name="ring">The partition's slots; its length is a power of two.</param>
    /// <param name="first">The first offset of the run.</param>
    /// <param name="count">The run's length, 1 to the ring's length.</param>
    internal SlotRun(T[] ring, long first, int count)
    {
        int start = (int)first & (ring.Length - 1);
        int headLength = Math.Min(count, ring.Length - start);
        _head = ring.AsSpan(start, headLength);
        _tail = ring.AsSpan(0, count - headLength);
    }

    /// <summary>The run's slots from its first offset up to the ring's end, in offset order.</summary>
    internal Span<T> Head => _head;

    /// <summary>The run's remaining slots from the ring's start, in offset order; empty unless the run wraps.</summary>
    internal Span<T> Tail => _tail;

    /// <summary>The slot of the <paramref name="index"/>-th offset of the run.</summary>
    /// <param name="index">0 to the run's length - 1.</param>
    internal ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            Span<T> head = _head;
            if ((uint)index < (uint)head.Length)
            {
                return ref head[index];
            }

            return ref TailSlot(index);
        }
    }

    /// <summary>A slot past the head: out of line, since a run wraps at most once per lap of the ring.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref T TailSlot(int index)
    {
        int inTail = index - _head.Length;
        if ((uint)inTail >= (uint)_tail.Length)
        {
            ThrowIndexOutOfRange(index, _head.Length + _tail.Length);
        }

        return ref _tail[inTail];
    }

    /// <summary>The indexer's throw, with its message built here, out of the fill loop's frame.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndexOutOfRange(int index, int count) =>
        Internal.ThrowHelper.ArgumentOutOfRange(nameof(index), $"must be between 0 and {count - 1}", index);
}
