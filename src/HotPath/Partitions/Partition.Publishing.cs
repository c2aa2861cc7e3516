using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Partitions;

/// <content>Publishing: the public publish and claim operations, over the claim protocols of Partition.Claiming.cs.</content>
public sealed partial class Partition<T>
{
    /// <summary>Copies <paramref name="event"/> into the next slot and publishes it, waiting while the ring is full.</summary>
    /// <param name="event">The event; copied once into its slot.</param>
    /// <returns>The event's offset.</returns>
    /// <exception cref="InvalidOperationException">The topic is complete.</exception>
    /// <exception cref="ObjectDisposedException">The topic was disposed, also while waiting.</exception>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Publish(in T @event)
    {
        long offset = ClaimCore(1, long.MaxValue, default);
        _slots[(int)offset & _mask] = @event;
        PublishCore(offset, offset);
        return offset;
    }

    /// <summary>Like <see cref="Publish(in T)"/>, but gives up when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>The event's offset.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free.</exception>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public long Publish(in T @event, CancellationToken cancellationToken)
    {
        long offset = ClaimCore(1, long.MaxValue, cancellationToken);
        _slots[(int)offset & _mask] = @event;
        PublishCore(offset, offset);
        return offset;
    }

    /// <summary>Publishes when a slot is free right now; returns false at once when the ring is full.</summary>
    /// <param name="event">The event.</param>
    /// <param name="offset">The event's offset, or -1.</param>
    /// <returns>True when published.</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public bool TryPublish(in T @event, out long offset)
    {
        offset = ClaimCore(1, 0, default);
        if (offset < 0)
        {
            return false;
        }

        _slots[(int)offset & _mask] = @event;
        PublishCore(offset, offset);
        return true;
    }

    /// <summary>Publishes, waiting at most <paramref name="timeout"/> for a free slot.</summary>
    /// <param name="event">The event.</param>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="offset">The event's offset, or -1.</param>
    /// <returns>True when published, false on time-out (nothing was published).</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public bool TryPublish(in T @event, TimeSpan timeout, out long offset)
    {
        offset = ClaimCore(1, DeadlineFrom(timeout), default);
        if (offset < 0)
        {
            return false;
        }

        _slots[(int)offset & _mask] = @event;
        PublishCore(offset, offset);
        return true;
    }

    /// <summary>Copies a batch of events into consecutive slots and publishes them at once.</summary>
    /// <param name="events">1 to <see cref="Capacity"/> events.</param>
    /// <returns>The offset of the first event; the others follow without gaps.</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public long PublishBatch(ReadOnlySpan<T> events)
    {
        int count = events.Length;
        CheckBatchCount(count);
        long first = ClaimCore(count, long.MaxValue, default);
        CopyIn(events, first);
        PublishCore(first, first + count - 1);
        return first;
    }

    /// <summary>Claims the next slot to fill in place, waiting while the ring is full.</summary>
    /// <returns>The claim: fill <see cref="EventClaim{T}.Event"/>, then <see cref="EventClaim{T}.Publish"/>.
    /// Disposing an unpublished claim abandons it (see <see cref="EventClaim{T}"/>).</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>. In single-writer mode one claim at a time.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EventClaim<T> Claim()
    {
        long offset = ClaimCore(1, long.MaxValue, default);
        return new EventClaim<T>(this, offset, CurrentClaimTicket(), ref _slots[(int)offset & _mask]);
    }

    /// <summary>Claims the next slot when one is free right now.</summary>
    /// <param name="claim">The claim, or default.</param>
    /// <returns>False when the ring is full.</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public bool TryClaim(out EventClaim<T> claim)
    {
        long offset = ClaimCore(1, 0, default);
        if (offset < 0)
        {
            claim = default;
            return false;
        }

        claim = new EventClaim<T>(this, offset, CurrentClaimTicket(), ref _slots[(int)offset & _mask]);
        return true;
    }

    /// <summary>Claims the next slot, waiting at most <paramref name="timeout"/> for one to be free.</summary>
    /// <param name="timeout">The longest wait; <see cref="TimeSpan.Zero"/> does not wait.</param>
    /// <param name="claim">The claim, or default.</param>
    /// <returns>False on time-out: nothing was claimed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>. In single-writer mode one claim at a time.</remarks>
    public bool TryClaim(TimeSpan timeout, out EventClaim<T> claim)
    {
        long offset = ClaimCore(1, DeadlineFrom(timeout), default);
        if (offset < 0)
        {
            claim = default;
            return false;
        }

        claim = new EventClaim<T>(this, offset, CurrentClaimTicket(), ref _slots[(int)offset & _mask]);
        return true;
    }

    /// <summary>Claims <paramref name="count"/> consecutive slots to fill in place, then publish at once.</summary>
    /// <param name="count">1 to <see cref="Capacity"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for free slots.</param>
    /// <returns>The batch claim.</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public BatchClaim<T> ClaimBatch(int count, CancellationToken cancellationToken = default)
    {
        CheckBatchCount(count);
        long first = ClaimCore(count, long.MaxValue, cancellationToken);
        return new BatchClaim<T>(this, first, count, CurrentClaimTicket());
    }

    /// <summary>Claims <paramref name="count"/> consecutive slots when they are free right now.</summary>
    /// <param name="count">1 to <see cref="Capacity"/>.</param>
    /// <param name="claim">The claim, or default.</param>
    /// <returns>False when the ring lacks room.</returns>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/>.</remarks>
    public bool TryClaimBatch(int count, out BatchClaim<T> claim)
    {
        CheckBatchCount(count);
        long first = ClaimCore(count, 0, default);
        if (first < 0)
        {
            claim = default;
            return false;
        }

        claim = new BatchClaim<T>(this, first, count, CurrentClaimTicket());
        return true;
    }

    private void CopyIn(ReadOnlySpan<T> events, long first)
    {
        SlotRun<T> slots = SlotsOf(first, events.Length);
        int head = slots.Head.Length;
        events[..head].CopyTo(slots.Head);
        events[head..].CopyTo(slots.Tail);
    }

    private void CheckBatchCount(int count)
    {
        if ((uint)(count - 1) >= (uint)_capacity)
        {
            ThrowBatchCount(count);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBatchCount(int count) =>
        ThrowHelper.ArgumentOutOfRange(nameof(count), $"must be between 1 and the capacity {_capacity}", count);

    private static long DeadlineFrom(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(timeout), "must not be negative", timeout);
        }

        return timeout == TimeSpan.Zero ? 0 : Deadline.From(timeout);
    }
}
