using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// The reader's check, the same for every implementation: each event must carry the next expected sequence
/// number and an intact payload; the sequence numbers are summed so that the harness can compare the total.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public struct SequenceCheck<TEvent>
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>The sequence number the next event must carry.</summary>
    public long Expected;

    /// <summary>The sum of the sequence numbers received so far.</summary>
    public long Sum;

    /// <summary>Starts expecting <paramref name="first"/>.</summary>
    /// <param name="first">The first sequence number.</param>
    public SequenceCheck(long first) => Expected = first;

    /// <summary>Checks and counts one received event; throws when it is not the expected one.</summary>
    /// <param name="event">The event.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in TEvent @event)
    {
        long expected = Expected;
        if (!TEvent.IsIntact(in @event, expected))
        {
            ThrowUnexpected(@event.Sequence, expected);
        }

        Sum += @event.Sequence;
        Expected = expected + 1;
    }

    [DoesNotReturn]
    private static void ThrowUnexpected(long received, long expected) =>
        throw new InvalidOperationException(
            $"reader received sequence {received} (or a torn payload) where {expected} was expected: events were lost, duplicated, reordered or corrupted");
}
