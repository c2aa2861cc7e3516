using HotPath.Benchmarks.Throughput;

namespace HotPath.Benchmarks.Ratios;

/// <summary>
/// An 8-byte event (as <see cref="Event8"/>) of its own type per row of the ratios harness: <typeparamref name="TRow"/>
/// is a distinct empty struct per row, so every row runs its own instantiation of the library's generic code
/// (<c>Partition&lt;RowEvent&lt;TRow&gt;&gt;</c>, the pipes, the handlers) with its own tiered-compilation profile. With one
/// event type for all rows, the rows share that code, and the profile-guided layout of, say, <c>Partition.Publish</c>
/// follows whichever mode (single- or multi-writer) its instrumented phase happened to see most: measured, the same
/// single-writer loop ran at 5.5 or 10-13 ns per event depending on it. One process per configuration, as
/// BenchmarkDotNet runs, never shares a profile; the ratios harness must not either.
/// </summary>
/// <typeparam name="TRow">The row's tag.</typeparam>
public struct RowEvent<TRow> : IBenchEvent<RowEvent<TRow>>
    where TRow : struct
{
    /// <summary>The sequence number.</summary>
    public long Value;

    /// <inheritdoc/>
    public static int Size => 8;

    /// <inheritdoc/>
    public readonly long Sequence => Value;

    /// <inheritdoc/>
    public static RowEvent<TRow> Create(long sequence) => new() { Value = sequence };

    /// <inheritdoc/>
    public static bool IsIntact(in RowEvent<TRow> @event, long sequence) => @event.Value == sequence;
}
