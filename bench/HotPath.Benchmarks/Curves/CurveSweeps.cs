using System.Globalization;
using System.Runtime.CompilerServices;
using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.Curves;

/// <summary>
/// The sweeps of the <c>curves</c> harness. Everything not swept is the suite's 1→1 group row: one writer thread,
/// <c>PublishMode.SingleWriter</c>, <c>Partition.Publish</c> per event (the keyed sweep: <c>Topic.Publish(long key, in e)</c>),
/// 65,536 slots, 8-byte events, consumer groups of one member with a struct handler, MaxBatchSize 1,024, <c>Yielding</c>
/// waits on both sides (on 2 cores <c>BusySpin</c> starves the other thread); the Channels baseline of each point is
/// bounded <c>Channel&lt;T&gt;</c>s of the same capacity and event type, SingleReader = SingleWriter = true, driven with
/// <c>TryWrite</c>/<c>TryRead</c> and the same Yielding step. Thread safety: stateless; any thread.
/// </summary>
public static class CurveSweeps
{
    /// <summary>Every sweep's name, in the order they run.</summary>
    public static readonly string[] Names = ["fanout", "partitions", "sizes", "capacities", "pairs"];

    private static readonly int[] s_groups = [1, 2, 4, 8, 16];
    private static readonly int[] s_partitions = [1, 2, 4, 8, 16, 32, 64];
    private static readonly int[] s_sizes = [8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly int[] s_capacities = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20];
    private static readonly int[] s_pairs = [1, 2, 4];

    /// <summary>The sweep named <paramref name="name"/>.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="smoke">Only the first and the last point (the smoke mode of <c>bench/dry-run</c>).</param>
    /// <returns>The sweep.</returns>
    public static CurveSweep Get(string name, bool smoke) => name switch
    {
        "fanout" => new CurveSweep(
            name,
            "Fan-out: 1 writer → N consumer groups of 1 member",
            "Groups",
            "One writer publishes to one partition; N consumer groups of one member each read every event (events/s counts events *published*: each is handled N times). Channels: the writer writes each event into N bounded SPSC channels, one reader thread each.",
            false,
            Pick(s_groups, smoke).Select(n => new CurvePoint(n, n.ToString(CultureInfo.InvariantCulture), 8,
                () => new GroupPipe<Event8>(Topology.FanOut, n, WaitStrategy.Yielding),
                () => new ChannelPipe<Event8>(singleReaderWriter: true, Topology.FanOut, n))).ToArray()),
        "partitions" => new CurveSweep(
            name,
            "Partitions: 1 keyed writer → N partitions → 1 member",
            "Partitions",
            "One writer publishes every event with `Topic.Publish(long key, in e)` (the topic hashes the key with its default XxHash3 partitioner); the keys go round robin over keys that hash to partitions 0 .. N-1, so every partition gets exactly 1/N of the events. **One** consumer group with **one** member owns all N partitions (the member's thread reads a batch from each in turn), so this curve shows what spreading one stream over more partitions costs one writer and one reader, not parallel scaling (see the pairs sweep for that). Channels: N bounded SPSC channels, the writer routes each event with the same partitioner call, one reader thread drains them all in turn (at most 1,024 from each).",
            false,
            Pick(s_partitions, smoke).Select(n => new CurvePoint(n, n.ToString(CultureInfo.InvariantCulture), 8,
                () => new GroupPipe<Event8>(Topology.Keyed, n, WaitStrategy.Yielding),
                () => new ChannelPipe<Event8>(singleReaderWriter: true, Topology.Keyed, n))).ToArray()),
        "sizes" => new CurveSweep(
            name,
            "Event size: 1 writer → 1 member, 8 to 1,024-byte events",
            "Event bytes",
            "The 1→1 group row with events of 8 to 1,024 bytes (the sequence number in the first 8 bytes and its complement in the last 8, zeros between; the reader checks both ends). 65,536 slots, so the ring holds 512 KiB (8-byte events) to 64 MiB (1,024-byte events). MB/s = events/s × event size.",
            true,
            Pick(s_sizes, smoke).Select(Size).ToArray()),
        "capacities" => new CurveSweep(
            name,
            "Ring capacity: 1 writer → 1 member, 1K to 1M slots",
            "Slots",
            "The 1→1 group row (8-byte events) with partitions of 1,024 to 1,048,576 slots (8 KiB to 8 MiB of events); the Channels are bounded to the same number of items.",
            false,
            Pick(s_capacities, smoke).Select(c => new CurvePoint(c, Slots(c), 8,
                () => new GroupPipe<Event8>(Topology.OneToOne, 1, WaitStrategy.Yielding, capacity: c),
                () => new ChannelPipe<Event8>(singleReaderWriter: true, capacity: c))).ToArray()),
        "pairs" => new CurveSweep(
            name,
            "Independent pairs: N writers → N partitions → N members",
            "Pairs",
            "N independent writer → member pairs through one topic: writer *i* publishes to partition *i* with `Partition.Publish`, one consumer group with N members (range assignor: member *i* owns partition *i*); events/s is the total of all pairs. They share nothing but the topic object, so on a machine with 2N free cores the total would grow N-fold; this machine has 2 cores, so N = 1 already uses both and more pairs only time-slice. Channels: N bounded SPSC channels with a writer and a reader thread each.",
            false,
            Pick(s_pairs, smoke).Select(n => new CurvePoint(n, n.ToString(CultureInfo.InvariantCulture), 8,
                n == 1
                    ? () => new GroupPipe<Event8>(Topology.OneToOne, 1, WaitStrategy.Yielding)
                    : () => new GroupPipe<Event8>(Topology.Partitioned, n, WaitStrategy.Yielding),
                n == 1
                    ? () => new ChannelPipe<Event8>(singleReaderWriter: true)
                    : () => new ChannelPipe<Event8>(singleReaderWriter: true, Topology.Partitioned, n))).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"unknown sweep '{name}'; the sweeps are {string.Join(", ", Names)}"),
    };

    /// <summary>A slot count as 1K, 64K, 1M.</summary>
    /// <param name="slots">A power of two of at least 1,024.</param>
    /// <returns>The text.</returns>
    public static string Slots(int slots) => slots >= 1 << 20 ? $"{slots >> 20}M" : $"{slots >> 10}K";

    private static int[] Pick(int[] points, bool smoke) => smoke ? [points[0], points[^1]] : points;

    private static CurvePoint Size(int bytes) => bytes switch
    {
        8 => Size<Event8>(),
        16 => Size<Event16>(),
        32 => Size<Event32>(),
        64 => Size<Event64>(),
        128 => Size<Event128>(),
        256 => Size<Event256>(),
        512 => Size<Event512>(),
        1024 => Size<Event1024>(),
        _ => throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"no event type of {bytes} bytes"),
    };

    private static CurvePoint Size<TEvent>()
        where TEvent : unmanaged, IBenchEvent<TEvent>
    {
        if (Unsafe.SizeOf<TEvent>() != TEvent.Size)
        {
            throw new InvalidOperationException($"{typeof(TEvent).Name} is {Unsafe.SizeOf<TEvent>()} bytes, expected {TEvent.Size}");
        }

        return new CurvePoint(TEvent.Size, TEvent.Size.ToString(CultureInfo.InvariantCulture), TEvent.Size,
            () => new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding),
            () => new ChannelPipe<TEvent>(singleReaderWriter: true));
    }
}
