using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>How a HotPath writer hands its events to the partition.</summary>
public enum PublishStyle
{
    /// <summary><c>Partition.Publish</c> per event.</summary>
    Single,

    /// <summary><c>Partition.Claim</c> per event, filled in place, then <c>Publish</c>.</summary>
    Claim,

    /// <summary><c>Partition.ClaimBatch</c> of <see cref="GroupPipe{TEvent}.BatchSize"/> slots, filled in place.</summary>
    ClaimBatch,

    /// <summary><c>Partition.PublishBatch</c> of a span of <see cref="GroupPipe{TEvent}.BatchSize"/> events built in a buffer.</summary>
    PublishBatch,

    /// <summary>Transactions of <see cref="GroupPipe{TEvent}.BatchSize"/> events, each published with <c>PublishTo</c>, then committed.</summary>
    Transaction,

    /// <summary>Transactions of one <c>PublishBatch</c> of <see cref="GroupPipe{TEvent}.BatchSize"/> events.</summary>
    TransactionBatch,

    /// <summary>One transaction per event: begin, <c>PublishTo</c>, commit (the commit's cost).</summary>
    TransactionPerEvent,

    /// <summary><c>Topic.Publish(in e)</c> per event: keyless, the topic picks the partition.</summary>
    TopicKeyless,

    /// <summary><c>Topic.Publish(long key, in e)</c> per event, keys 0 to 1,023 in turn.</summary>
    LongKey,

    /// <summary><c>Topic.Publish(string key, in e)</c> per event, 1,024 keys <c>ORD00000</c> to <c>ORD01023</c> in turn.</summary>
    StringKey,
}

/// <summary>
/// HotPath through consumer groups: one topic of <c>capacity</c>-slot partitions (<see cref="ThroughputBenchmark.Capacity"/> unless told), and
/// groups whose members (struct handlers, each on the member's dedicated thread) check every event and report to a
/// <see cref="DeliverySink"/> that a harness reader thread waits on.
/// <list type="bullet">
/// <item><see cref="Topology.OneToOne"/>: 1 partition, 1 writer, 1 group of 1 member.</item>
/// <item><see cref="Topology.FanOut"/>: 1 partition, 1 writer, <c>count</c> groups of 1 member: every group sees every event.</item>
/// <item><see cref="Topology.TwoWriters"/>: 1 partition in multi-writer mode, 2 writers, 1 group of 1 member.</item>
/// <item><see cref="Topology.Partitioned"/>: <c>count</c> partitions, writer <c>i</c> to partition <c>i</c>, 1 group of <c>count</c> members (range assignor: member <c>i</c> owns partition <c>i</c>).</item>
/// <item><see cref="Topology.Keyed"/>: <c>count</c> partitions, 1 writer publishing with <c>Topic.Publish(long key, in e)</c>, the keys round robin over the partitions (<see cref="KeyedRouting"/>), 1 group of 1 member that owns them all.</item>
/// </list>
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class GroupPipe<TEvent> : EventPipe
    where TEvent : unmanaged, IBenchEvent<TEvent>
{
    /// <summary>Events per batch for the batch publish styles.</summary>
    public const int BatchSize = 256;

    /// <summary>Distinct keys of the keyed styles (a power of two).</summary>
    private const int OrderKeys = 1024;

    private static readonly string[] s_orderKeys = [.. Enumerable.Range(0, OrderKeys).Select(i => $"ORD{i:D5}")];

    private readonly Topology _topology;
    private readonly int _count;
    private readonly PublishStyle _style;
    private readonly Topic<TEvent> _topic;
    private readonly List<ConsumerGroup<TEvent>> _groups = [];
    private readonly DeliverySink[] _sinks;
    private readonly TEvent[] _buffer = new TEvent[BatchSize];
    private readonly TransactionCoordinator? _coordinator;
    private readonly TransactionalPublisher? _publisher;
    private readonly KeyedRouting? _routing;

    /// <summary>Creates the topic and the groups, joins the members and waits for their assignment.</summary>
    /// <param name="topology">How writers, partitions and groups are connected.</param>
    /// <param name="count">Groups (fan-out) or partitions (partitioned); 1 otherwise.</param>
    /// <param name="wait">The wait strategy of the topic's writers (full ring) and of the members (empty partition).</param>
    /// <param name="style">How writers publish.</param>
    /// <param name="maxBatchSize">The members' <see cref="ConsumerGroupOptions.MaxBatchSize"/>.</param>
    /// <param name="isolation">The groups' isolation level (read-committed, the default, reads the last stable offset once per batch).</param>
    /// <param name="defaults">
    /// What a user who sets nothing gets: the topic's and the groups' default options (multi-writer, 1,024 slots,
    /// <c>Blocking</c> waits, the default batch size) instead of <paramref name="wait"/>, the benchmark capacity and
    /// <paramref name="maxBatchSize"/>; one to one only.
    /// </param>
    /// <param name="capacity">Slots per partition (ignored with <paramref name="defaults"/>).</param>
    public GroupPipe(
        Topology topology,
        int count,
        WaitStrategy wait,
        PublishStyle style = PublishStyle.Single,
        int maxBatchSize = 1024,
        IsolationLevel isolation = IsolationLevel.ReadCommitted,
        bool defaults = false,
        int capacity = ThroughputBenchmark.Capacity)
    {
        if (defaults && topology != Topology.OneToOne)
        {
            throw new ArgumentException($"default options run one to one, not {topology}", nameof(topology));
        }

        if (style is PublishStyle.Transaction or PublishStyle.TransactionBatch or PublishStyle.TransactionPerEvent)
        {
            if (topology != Topology.OneToOne)
            {
                throw new ArgumentException($"transactional styles run one to one, not {topology}", nameof(topology));
            }

            _coordinator = new TransactionCoordinator();
            _publisher = _coordinator.CreatePublisher("throughput");
        }

        _topology = topology;
        _count = count;
        _style = style;
        int partitions = topology is Topology.Partitioned or Topology.Keyed ? count : 1;
        int membersPerGroup = topology == Topology.Partitioned ? count : 1;
        _routing = topology == Topology.Keyed ? new KeyedRouting(count) : null;
        int groups = topology == Topology.FanOut ? count : 1;
        _topic = new Topic<TEvent>(defaults
            ? new TopicOptions { Name = "throughput" }
            : new TopicOptions
            {
                Name = "throughput",
                PartitionCount = partitions,
                Capacity = capacity,
                PublishMode = topology == Topology.TwoWriters ? PublishMode.MultiWriter : PublishMode.SingleWriter,
                WaitStrategy = wait,
            });
        _sinks = [.. Enumerable.Range(0, groups * membersPerGroup).Select(_ => new DeliverySink())];
        for (int g = 0; g < groups; g++)
        {
            var group = new ConsumerGroup<TEvent>(_topic, defaults
                ? new ConsumerGroupOptions { GroupId = $"group-{g}" }
                : new ConsumerGroupOptions
                {
                    GroupId = $"group-{g}",
                    WaitStrategy = wait,
                    MaxBatchSize = maxBatchSize,
                    Assignor = new RangeAssignor(),
                    Isolation = isolation,
                });
            _groups.Add(group);
            for (int p = 0; p < membersPerGroup; p++)
            {
                DeliverySink sink = _sinks[(g * membersPerGroup) + p];
                GroupMember<TEvent> member = topology switch
                {
                    Topology.TwoWriters => group.Join(new SinkHandler<TwoWriterCheck<TEvent>>(new(0), sink), $"m{p}"),
                    Topology.Partitioned => group.Join(new SinkHandler<StridedCheck<TEvent>>(new(p, count), sink), $"m{p}"),
                    Topology.Keyed => group.Join(new SinkHandler<KeyedCheck<TEvent>>(new(0, count), sink), $"m{p}"),
                    _ => group.Join(new SinkHandler<SequenceCheck<TEvent>>(new(0), sink), $"m{p}"),
                };
            }

            // The range assignor gives member "m{p}" partition p (the only member of a keyed group every partition); the
            // checks above rely on it.
            foreach (GroupMember<TEvent> member in group.Members)
            {
                int expected = int.Parse(member.MemberId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (topology == Topology.Keyed)
                {
                    if (member.Assignment.Count != partitions)
                    {
                        throw new InvalidOperationException(
                            $"member {member.MemberId} of {group.GroupId} owns [{string.Join(", ", member.Assignment)}], expected all {partitions} partitions");
                    }
                }
                else if (member.Assignment.Count != 1 || member.Assignment[0].Partition != expected)
                {
                    throw new InvalidOperationException(
                        $"member {member.MemberId} of {group.GroupId} owns [{string.Join(", ", member.Assignment)}], expected partition {expected}");
                }
            }
        }
    }

    /// <inheritdoc/>
    public override bool MustNotAllocate => true;

    /// <inheritdoc/>
    public override int Writers => _topology switch
    {
        Topology.TwoWriters => 2,
        Topology.Partitioned => _count,
        _ => 1,
    };

    /// <inheritdoc/>
    public override int Readers => _sinks.Length;

    /// <inheritdoc/>
    public override bool EachReaderSeesAll => _topology != Topology.Partitioned;

    /// <inheritdoc/>
    public override void BeginInvocation(long first, int count)
    {
        foreach (DeliverySink sink in _sinks)
        {
            sink.Arm(first + count);
        }
    }

    /// <inheritdoc/>
    public override void Write(int writer, long start, int stride, int count)
    {
        if (_topology == Topology.Keyed)
        {
            WriteKeyed(start, stride, count);
            return;
        }

        Partition<TEvent> partition = _topic[_topology == Topology.Partitioned ? writer : 0];
        switch (_style)
        {
            case PublishStyle.Single:
                long sequence = start;
                for (int i = 0; i < count; i++, sequence += stride)
                {
                    partition.Publish(TEvent.Create(sequence));
                }

                break;
            case PublishStyle.Claim:
                WriteClaims(partition, start, stride, count);
                break;
            case PublishStyle.ClaimBatch:
                WriteClaimBatches(partition, start, stride, count);
                break;
            case PublishStyle.PublishBatch:
                WritePublishBatches(partition, start, stride, count);
                break;
            case PublishStyle.TopicKeyless:
            case PublishStyle.LongKey:
            case PublishStyle.StringKey:
                WriteThroughTopic(start, stride, count);
                break;
            default:
                WriteTransactions(start, stride, count);
                break;
        }
    }

    /// <summary>What a user writes: the topic's own publish (keyless, or keyed and routed by the default partitioner).</summary>
    private void WriteThroughTopic(long start, int stride, int count)
    {
        Topic<TEvent> topic = _topic;
        string[] keys = s_orderKeys;
        long sequence = start;
        switch (_style)
        {
            case PublishStyle.TopicKeyless:
                for (int i = 0; i < count; i++, sequence += stride)
                {
                    topic.Publish(TEvent.Create(sequence));
                }

                break;
            case PublishStyle.LongKey:
                for (int i = 0; i < count; i++, sequence += stride)
                {
                    topic.Publish(sequence & (OrderKeys - 1), TEvent.Create(sequence));
                }

                break;
            default:
                for (int i = 0; i < count; i++, sequence += stride)
                {
                    topic.Publish(keys[(int)sequence & (OrderKeys - 1)], TEvent.Create(sequence));
                }

                break;
        }
    }

    /// <summary>The keyed writer: <c>Topic.Publish(long key, in e)</c> per event, the topic hashing the key.</summary>
    private void WriteKeyed(long start, int stride, int count)
    {
        Topic<TEvent> topic = _topic;
        KeyedRouting routing = _routing!;
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            topic.Publish(routing.KeyFor(sequence), TEvent.Create(sequence));
        }
    }

    /// <inheritdoc/>
    public override long Read(int reader, long first, int count) => _sinks[reader].Wait();

    /// <inheritdoc/>
    public override long ReaderThreadsAllocated(int reader) => _sinks[reader].Allocated;

    /// <inheritdoc/>
    public override void Abort()
    {
        base.Abort();
        foreach (DeliverySink sink in _sinks)
        {
            sink.Abort();
        }

        // Releases a writer waiting in Publish on a full ring (it throws ObjectDisposedException).
        _topic.Dispose();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (ConsumerGroup<TEvent> group in _groups)
            {
                group.Dispose();
            }

            _topic.Dispose();
            _publisher?.Dispose();
            _coordinator?.Dispose();
        }
    }

    private void WriteTransactions(long start, int stride, int count)
    {
        TransactionalPublisher publisher = _publisher!;
        Topic<TEvent> topic = _topic;
        TEvent[] buffer = _buffer;
        int perTransaction = _style == PublishStyle.TransactionPerEvent ? 1 : BatchSize;
        long sequence = start;
        for (int done = 0; done < count; done += perTransaction)
        {
            int n = Math.Min(perTransaction, count - done);
            publisher.Begin();
            if (_style == PublishStyle.TransactionBatch)
            {
                for (int i = 0; i < n; i++, sequence += stride)
                {
                    buffer[i] = TEvent.Create(sequence);
                }

                publisher.PublishBatch(topic, 0, buffer.AsSpan(0, n));
            }
            else
            {
                for (int i = 0; i < n; i++, sequence += stride)
                {
                    publisher.PublishTo(topic, 0, TEvent.Create(sequence));
                }
            }

            publisher.Commit();
        }
    }

    private static void WriteClaims(Partition<TEvent> partition, long start, int stride, int count)
    {
        long sequence = start;
        for (int i = 0; i < count; i++, sequence += stride)
        {
            using EventClaim<TEvent> claim = partition.Claim();
            claim.Event = TEvent.Create(sequence);
            claim.Publish();
        }
    }

    private static void WriteClaimBatches(Partition<TEvent> partition, long start, int stride, int count)
    {
        long sequence = start;
        for (int done = 0; done < count; done += BatchSize)
        {
            int n = Math.Min(BatchSize, count - done);
            using BatchClaim<TEvent> claim = partition.ClaimBatch(n);
            for (int i = 0; i < n; i++, sequence += stride)
            {
                claim[i] = TEvent.Create(sequence);
            }

            claim.Publish();
        }
    }

    private void WritePublishBatches(Partition<TEvent> partition, long start, int stride, int count)
    {
        TEvent[] buffer = _buffer;
        long sequence = start;
        for (int done = 0; done < count; done += BatchSize)
        {
            int n = Math.Min(BatchSize, count - done);
            for (int i = 0; i < n; i++, sequence += stride)
            {
                buffer[i] = TEvent.Create(sequence);
            }

            partition.PublishBatch(buffer.AsSpan(0, n));
        }
    }

    /// <summary>A member's handler: checks each event, and signals the sink when the check reaches its end.</summary>
    /// <typeparam name="TCheck">The scenario's check.</typeparam>
    private struct SinkHandler<TCheck>(TCheck check, DeliverySink sink) : IEventHandler<TEvent>
        where TCheck : struct, IDeliveryCheck<TEvent>
    {
        private readonly DeliverySink _sink = sink;
        private TCheck _check = check;

        public void OnEvent(ref readonly TEvent @event, int partition, long offset, bool endOfBatch)
        {
            _check.Accept(in @event);
            if (endOfBatch && _check.Reached(_sink.End))
            {
                _sink.Signal(_check.Sum);
            }
        }
    }
}
