using HotPath.Benchmarks.Throughput;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Benchmarks.Ratios;

/// <summary>One configuration the ratios harness times in every round.</summary>
/// <param name="Key">The short name <c>--rows</c> selects it by and the targets refer to.</param>
/// <param name="Label">What runs, as the tables show it.</param>
/// <param name="Create">Creates a fresh pipe of this configuration.</param>
public sealed record RatioRow(string Key, string Label, Func<EventPipe> Create);

/// <summary>
/// One target of the speed issue, judged on one round's figures: <see cref="Row"/>'s rate against
/// <see cref="Against"/>'s rate measured in the same round (a ratio), or against an absolute rate when
/// <see cref="Against"/> is null.
/// </summary>
/// <param name="Label">The target as the issue states it.</param>
/// <param name="Row">The row judged.</param>
/// <param name="Against">The row it is divided by, or null for an absolute rate.</param>
/// <param name="Bound">The least ratio (or events/s) that meets the target; null when the ratio is only reported.</param>
public sealed record RatioTarget(string Label, string Row, string? Against, double? Bound);

/// <summary>
/// The rows and targets of the <c>ratios</c> harness: the targets are same-run ratios, so every row runs in
/// every round of one process. Every row is the suite's configuration of the same name (8-byte events, 65,536 slots,
/// <c>Yielding</c> waits, MaxBatchSize 1,024, struct handlers checking every event) except the default-options rows,
/// which set nothing. Thread safety: stateless; any thread.
/// </summary>
public static class RatioRows
{
    /// <summary>Every row, in the order of the tables.</summary>
    public static readonly RatioRow[] All =
    [
        new("a", "1 → 1 group, single writer, `Partition.Publish(in e)` (A)", () => new GroupPipe<RowEvent<RowA>>(Topology.OneToOne, 1, WaitStrategy.Yielding)),
        new("claim", "1 → 1 group, per-event `Claim()`, filled in place, `Publish()`", () => new GroupPipe<RowEvent<RowClaim>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.Claim)),
        new("claim-batch", "1 → 1 group, `ClaimBatch(256)` filled in place", () => new GroupPipe<RowEvent<RowClaimBatch>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.ClaimBatch)),
        new("publish-batch", "1 → 1 group, `PublishBatch` of 256 from a span", () => new GroupPipe<RowEvent<RowPublishBatch>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.PublishBatch)),
        new("sw-raw", "single writer, `Publish(in e)`, `PartitionReader`", () => new HotPathPipe<RowEvent<RowSwRaw>>(PublishMode.SingleWriter, batchSize: 1)),
        new("mw-raw", "multi-writer mode, 1 writer, `Publish(in e)`, `PartitionReader`", () => new HotPathPipe<RowEvent<RowMwRaw>>(PublishMode.MultiWriter, batchSize: 1)),
        new("two-writers", "2 writers → 1 group (multi-writer mode)", () => new GroupPipe<RowEvent<RowTwoWriters>>(Topology.TwoWriters, 1, WaitStrategy.Yielding)),
        new("default-keyless", "default options, `topic.Publish(in e)` → 1 group", () => new GroupPipe<RowEvent<RowDefaultKeyless>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.TopicKeyless, defaults: true)),
        new("default-long", "default options, `topic.Publish(long key, in e)` → 1 group", () => new GroupPipe<RowEvent<RowDefaultLong>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.LongKey, defaults: true)),
        new("default-string", "default options, `topic.Publish(string key, in e)` → 1 group", () => new GroupPipe<RowEvent<RowDefaultString>>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.StringKey, defaults: true)),
        new("fan-out-3", "1 → 3 groups", () => new GroupPipe<RowEvent<RowFanOut3>>(Topology.FanOut, 3, WaitStrategy.Yielding)),
        new("channels", "Channels, bounded SPSC, 1 → 1 (baseline)", () => new ChannelPipe<RowEvent<RowChannels>>(singleReaderWriter: true)),
        new("channels-two-writers", "Channels, bounded, 2 writers → 1 reader (baseline)", () => new ChannelPipe<RowEvent<RowChannelsTwoWriters>>(singleReaderWriter: false, Topology.TwoWriters)),
        new("channels-fan-out-3", "Channels, 1 → 3 bounded SPSC channels (baseline)", () => new ChannelPipe<RowEvent<RowChannelsFanOut3>>(singleReaderWriter: true, Topology.FanOut, queues: 3)),
    ];

    /// <summary>The targets, then the ratios against the Channels baselines (reported, no bound).</summary>
    public static readonly RatioTarget[] Targets =
    [
        new("1 → 1 per-event `Publish(in T)` ≥ 200 M/s", "a", null, 200e6),
        new("`ClaimBatch(256)` ≥ 500 M/s", "claim-batch", null, 500e6),
        new("`ClaimBatch(256)` ≥ 1.0 × `PublishBatch` of 256", "claim-batch", "publish-batch", 1.0),
        new("per-event `Claim()`/`Publish()` within 20% of A", "claim", "a", 0.8),
        new("multi-writer mode with 1 writer ≥ 70% of single-writer", "mw-raw", "sw-raw", 0.7),
        new("2 writers → 1 group ≥ 50% of A", "two-writers", "a", 0.5),
        new("default options, keyless ≥ 50% of A", "default-keyless", "a", 0.5),
        new("default options, `long` key ≥ 50% of A", "default-long", "a", 0.5),
        new("default options, `string` key ≥ 50% of A", "default-string", "a", 0.5),
        new("1 → 3 groups ≥ 100 M/s published", "fan-out-3", null, 100e6),
        new("A against Channels SPSC", "a", "channels", null),
        new("2 writers → 1 group against Channels, 2 writers", "two-writers", "channels-two-writers", null),
        new("1 → 3 groups against 3 Channels", "fan-out-3", "channels-fan-out-3", null),
    ];

    // One tag per row: its own event type, so its own instantiation of the generic code (see RowEvent).
    private struct RowA
    {
    }

    private struct RowClaim
    {
    }

    private struct RowClaimBatch
    {
    }

    private struct RowPublishBatch
    {
    }

    private struct RowSwRaw
    {
    }

    private struct RowMwRaw
    {
    }

    private struct RowTwoWriters
    {
    }

    private struct RowDefaultKeyless
    {
    }

    private struct RowDefaultLong
    {
    }

    private struct RowDefaultString
    {
    }

    private struct RowFanOut3
    {
    }

    private struct RowChannels
    {
    }

    private struct RowChannelsTwoWriters
    {
    }

    private struct RowChannelsFanOut3
    {
    }
}
