using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace HotPath.Benchmarks.Throughput;

/// <summary>A reader's check of the events it receives; every implementation of a scenario uses the same one.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public interface IDeliveryCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>The sum of the sequence numbers received so far.</summary>
    long Sum { get; }

    /// <summary>Checks and counts one received event; throws when it is not the expected one.</summary>
    /// <param name="event">The event.</param>
    void Accept(in TEvent @event);

    /// <summary>True when every event below <paramref name="end"/> this reader is to receive has arrived.</summary>
    /// <param name="end">The invocation's end: its first sequence number plus its event count.</param>
    /// <returns>True when the reader is done with the invocation.</returns>
    bool Reached(long end);
}

/// <summary>
/// One writer's events, in order: each event must carry the next expected sequence number and an intact
/// payload; the sequence numbers are summed so that the harness can compare the total.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public struct SequenceCheck<TEvent> : IDeliveryCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>The sequence number the next event must carry.</summary>
    public long Expected;

    private long _sum;

    /// <summary>Starts expecting <paramref name="first"/>.</summary>
    /// <param name="first">The first sequence number.</param>
    public SequenceCheck(long first) => Expected = first;

    /// <inheritdoc/>
    public readonly long Sum => _sum;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in TEvent @event)
    {
        long expected = Expected;
        if (!TEvent.IsIntact(in @event, expected))
        {
            CheckFailure.Throw(@event.Sequence, expected);
        }

        _sum += @event.Sequence;
        Expected = expected + 1;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Reached(long end) => Expected >= end;
}

/// <summary>
/// One of several writers' events, seen alone (one partition per writer): sequence numbers
/// <c>start</c>, <c>start + stride</c>, ... in order, payloads intact.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public struct StridedCheck<TEvent> : IDeliveryCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly long _stride;
    private long _expected;
    private long _sum;

    /// <summary>Starts expecting <paramref name="start"/>, then every <paramref name="stride"/>-th number.</summary>
    /// <param name="start">The first sequence number.</param>
    /// <param name="stride">The number of writers.</param>
    public StridedCheck(long start, int stride)
    {
        _expected = start;
        _stride = stride;
    }

    /// <inheritdoc/>
    public readonly long Sum => _sum;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in TEvent @event)
    {
        long expected = _expected;
        if (!TEvent.IsIntact(in @event, expected))
        {
            CheckFailure.Throw(@event.Sequence, expected);
        }

        _sum += @event.Sequence;
        _expected = expected + _stride;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Reached(long end) => _expected >= end;
}

/// <summary>
/// Two writers' events merged into one stream (writer 0 publishes the even, writer 1 the odd sequence numbers):
/// each writer's events must arrive in order and intact; the interleaving is free.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public struct TwoWriterCheck<TEvent> : IDeliveryCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private long _even;
    private long _odd;
    private long _sum;

    /// <summary>Starts expecting <paramref name="first"/> (even) and <paramref name="first"/> + 1.</summary>
    /// <param name="first">The first sequence number; must be even.</param>
    public TwoWriterCheck(long first)
    {
        _even = first;
        _odd = first + 1;
    }

    /// <inheritdoc/>
    public readonly long Sum => _sum;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in TEvent @event)
    {
        long sequence = @event.Sequence;
        ref long expected = ref (sequence & 1) == 0 ? ref _even : ref _odd;
        if (!TEvent.IsIntact(in @event, expected))
        {
            CheckFailure.Throw(sequence, expected);
        }

        _sum += sequence;
        expected += 2;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Reached(long end) => _even >= end && _odd >= end;
}

/// <summary>
/// One keyed writer's events spread over <c>N</c> partitions round robin (<see cref="KeyedRouting"/>), read by one
/// reader from all of them: partition <c>p</c>'s events must arrive in order (<c>p, p + N, ...</c>) and intact; the
/// interleaving of partitions is free. Since each partition's events arrive in order and the writer publishes nothing at
/// or past the end before the reader reached it, the reader is done once it has received <c>end - first</c> events.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public struct KeyedCheck<TEvent> : IDeliveryCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    private readonly long[] _expected;
    private readonly long _mask;
    private long _received;
    private long _sum;

    /// <summary>Starts expecting, in partition <c>p</c>, the first sequence number from <paramref name="first"/> on that is <c>p</c> mod <paramref name="partitions"/>.</summary>
    /// <param name="first">The first sequence number.</param>
    /// <param name="partitions">The partition count, a power of two.</param>
    public KeyedCheck(long first, int partitions)
    {
        _mask = partitions - 1;
        _expected = new long[partitions];
        for (int p = 0; p < partitions; p++)
        {
            _expected[p] = first + ((p - first) & _mask);
        }

        _received = first;
    }

    /// <inheritdoc/>
    public readonly long Sum => _sum;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in TEvent @event)
    {
        long sequence = @event.Sequence;
        ref long expected = ref _expected[(int)(sequence & _mask)];
        if (!TEvent.IsIntact(in @event, expected))
        {
            CheckFailure.Throw(sequence, expected);
        }

        _sum += sequence;
        expected += _mask + 1;
        _received++;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Reached(long end) => _received >= end;
}

/// <summary>The checks' failure.</summary>
internal static class CheckFailure
{
    [DoesNotReturn]
    public static void Throw(long received, long expected) =>
        throw new InvalidOperationException(
            $"reader received sequence {received} (or a torn payload) where {expected} was expected: events were lost, duplicated, reordered or corrupted");
}
