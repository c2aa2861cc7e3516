using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Demo;

/// <summary>
/// The exactly-once stage, beside the other groups on `orders`: consume-transform-produce of each order's order_placed
/// event into one <see cref="ProcessedOrder"/> on `orders.processed` by a transactional group (order-processor, members
/// P-1 and P-2, <c>JoinTransactional</c>), and the same into `orders.processed.twin` by an at-least-once twin
/// (order-processor-twin, T-1 and T-2, <c>Join</c>, commit after each batch). Half way (<see cref="Crash"/>), one member
/// of each hangs at the end of a batch, after publishing its outputs, past the session time-out: the group declares it
/// failed and its partitions move. A read-committed group per output topic counts the outputs per order.
/// </summary>
/// <remarks>Thread-safety: <see cref="Crash"/> on the publisher's thread; the rest on the demo's thread.</remarks>
internal sealed class ExactlyOnceStage : IDisposable
{
    public const string ProcessedTopic = "orders.processed";
    public const string TwinTopic = "orders.processed.twin";
    public const string Processor = "order-processor";
    public const string Twin = "order-processor-twin";

    /// <summary>The processor groups' session time-out: short, so a hung member is declared failed within the run.</summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(1);

    private readonly RunLog _log;
    private readonly ManualResetEventSlim _release = new();
    private readonly TransactionCoordinator _coordinator = new();
    private readonly Topic<ProcessedOrder> _processed;
    private readonly Topic<ProcessedOrder> _twinOutput;
    private readonly ConsumerGroup<OrderEvent> _processor;
    private readonly ConsumerGroup<OrderEvent> _twin;
    private readonly ConsumerGroup<ProcessedOrder> _processedCounter;
    private readonly ConsumerGroup<ProcessedOrder> _twinCounter;
    private readonly byte[] _processedCounts;
    private readonly byte[] _twinCounts;
    private readonly Dictionary<string, (GroupMember<OrderEvent> Member, ProcessorMember State)> _members = new(StringComparer.Ordinal);
    private (GroupMember<OrderEvent> Member, ProcessorMember State)? _processorHang;
    private (GroupMember<OrderEvent> Member, ProcessorMember State)? _twinHang;

    /// <summary>Creates the output topics (shaped like `orders`) and the groups; their members start at once.</summary>
    /// <param name="orders">The input topic.</param>
    /// <param name="options">The demo's options (orders, capacity, pinning, and whether order-processor is transactional).</param>
    /// <param name="log">The run log.</param>
    public ExactlyOnceStage(Topic<OrderEvent> orders, DemoOptions options, RunLog log)
    {
        _log = log;
        _processedCounts = new byte[options.Orders];
        _twinCounts = new byte[options.Orders];
        _processed = Output(ProcessedTopic, orders);
        _twinOutput = Output(TwinTopic, orders);

        // The counting groups first, so that they read each output topic from its first event.
        _processedCounter = Counter(_processed, "processed-counter", _processedCounts, options.Pin);
        _twinCounter = Counter(_twinOutput, "twin-counter", _twinCounts, options.Pin);

        _processor = new ConsumerGroup<OrderEvent>(orders, Options(Processor, options.Pin));
        _twin = new ConsumerGroup<OrderEvent>(orders, Options(Twin, options.Pin));
        for (int m = 1; m <= 2; m++)
        {
            var processor = new ProcessorMember($"P-{m}", _release, OnHang);
            var handler = new OrderProcessor(_processed, processor);
            _members[processor.MemberId] = (
                options.TransactionalProcessor
                    ? _processor.JoinTransactional(handler, _coordinator, memberId: processor.MemberId)
                    : _processor.Join(handler, memberId: processor.MemberId),
                processor);

            var twin = new ProcessorMember($"T-{m}", _release, OnHang);
            _members[twin.MemberId] = (_twin.Join(new OrderProcessor(_twinOutput, twin), memberId: twin.MemberId), twin);
        }

        log.Note(options.TransactionalProcessor
            ? $"{Processor}: order_placed -> {ProcessedTopic}, exactly once"
            : $"{Processor}: order_placed -> {ProcessedTopic}, NOT transactional");
        log.Note($"{Twin}: the same -> {TwinTopic}, at least once");
    }

    /// <summary>
    /// Half way: the owner of <paramref name="partition"/> in each processor group hangs at the end of its next batch
    /// with outputs, after publishing them and before they commit.
    /// </summary>
    /// <param name="partition">The partition of `orders` whose owners hang.</param>
    public void Crash(int partition)
    {
        _processorHang = Owner(_processor, partition);
        _twinHang = Owner(_twin, partition);
        _log.Note($"half way: {_processorHang?.State.MemberId} and {_twinHang?.State.MemberId} (own orders-{partition}) hang mid-batch");
        _processorHang?.State.RequestHang();
        _twinHang?.State.RequestHang();
    }

    /// <summary>
    /// After publishing, before draining: waits (at most 10 session time-outs) until the hung members were declared
    /// failed, then releases their handlers; fenced, they commit nothing and their threads end.
    /// </summary>
    public async Task ReleaseAsync()
    {
        var hung = new[] { _processorHang, _twinHang }.OfType<(GroupMember<OrderEvent> Member, ProcessorMember State)>().ToList();
        var waited = Stopwatch.StartNew();
        while (hung.Any(h => h.Member.State == MemberState.Running) && waited.Elapsed < SessionTimeout * 10)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        _release.Set();
        if (hung.Count != 0)
        {
            _log.Note($"released {string.Join(" and ", hung.Select(h => $"{h.State.MemberId} ({h.Member.State})"))}");
        }
    }

    /// <summary>Completes when both processor groups drained `orders` and the counting groups drained the outputs.</summary>
    public async Task DrainAsync()
    {
        await Task.WhenAll(_processor.Completion, _twin.Completion).ConfigureAwait(false);
        await Task.WhenAll(_processed.CompleteAsync(), _twinOutput.CompleteAsync()).ConfigureAwait(false);
        await Task.WhenAll(_processedCounter.Completion, _twinCounter.Completion).ConfigureAwait(false);
    }

    /// <summary>What the counting groups saw; call after <see cref="DrainAsync"/>.</summary>
    public ExactlyOnceObservation Observe() =>
        new(
            (byte[])_processedCounts.Clone(),
            (byte[])_twinCounts.Clone(),
            _processedCounter.GetStats().Sum(s => s.Aborted),
            Describe(_processorHang),
            Describe(_twinHang));

    /// <summary>Releases any hung handler, then disposes the groups, the coordinator and the output topics.</summary>
    public void Dispose()
    {
        _release.Set();
        _processor.Dispose();
        _twin.Dispose();
        _processedCounter.Dispose();
        _twinCounter.Dispose();
        _coordinator.Dispose();
        _processed.Dispose();
        _twinOutput.Dispose();
    }

    private static Topic<ProcessedOrder> Output(string name, Topic<OrderEvent> orders) =>
        new(new TopicOptions
        {
            Name = name,
            PartitionCount = orders.PartitionCount,
            Capacity = orders.Capacity,
            Partitioner = orders.Options.Partitioner,
            Durability = orders.Options.Durability,
        });

    private static ConsumerGroup<ProcessedOrder> Counter(Topic<ProcessedOrder> topic, string groupId, byte[] counts, IReadOnlyList<int>? cores)
    {
        var group = new ConsumerGroup<ProcessedOrder>(topic, new ConsumerGroupOptions
        {
            GroupId = groupId,
            Isolation = IsolationLevel.ReadCommitted,
            Cores = cores,
        });
        group.Join(new OutputCounter(counts, new long[topic.PartitionCount]), memberId: groupId + "-1");
        return group;
    }

    private static HungMember? Describe((GroupMember<OrderEvent> Member, ProcessorMember State)? hung) =>
        hung is { } h ? new HungMember(h.State.MemberId, h.Member.State.ToString(), h.State.HungOutputs) : null;

    private ConsumerGroupOptions Options(string groupId, IReadOnlyList<int>? cores) =>
        new()
        {
            GroupId = groupId,
            Cores = cores,
            SessionTimeout = SessionTimeout,
            CommitMode = CommitMode.AfterBatch,
            OnMemberFailed = f => _log.Note($"{f.MemberId} is {f.State}: {f.Error.GetType().Name}; its partitions move"),
        };

    private (GroupMember<OrderEvent> Member, ProcessorMember State)? Owner(ConsumerGroup<OrderEvent> group, int partition) =>
        group.GetOwner(DemoRunner.OrdersTopic, partition) is { } owner && _members.TryGetValue(owner, out var member) ? member : null;

    private void OnHang(ProcessorMember member, int partition) =>
        _log.Note($"{member.MemberId} hangs: orders-{partition} batch, {member.HungOutputs} outputs published, not committed");
}
