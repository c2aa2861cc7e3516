using HotPath.Groups;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Consumers;

/// <summary>The settings of a consumer group.</summary>
/// <remarks>Validated once, when the group is created. Thread-safety: immutable after init.</remarks>
public sealed record ConsumerGroupOptions
{
    /// <summary>
    /// The group id (Kafka's <c>group.id</c>); not empty. One id is one group: a second <c>ConsumerGroup</c> with an id
    /// that a live (not disposed) group already uses on one of its topics is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public required string GroupId { get; init; }

    /// <summary>Where the group starts on each partition: Kafka's <c>auto.offset.reset</c>. Default <see cref="OffsetReset.Earliest"/>.</summary>
    public OffsetReset AutoOffsetReset { get; init; } = OffsetReset.Earliest;

    /// <summary>The assignor. Default <see cref="CooperativeStickyAssignor"/>, so rebalances move as few partitions as possible.</summary>
    public IPartitionAssignor Assignor { get; init; } = new CooperativeStickyAssignor();

    /// <summary>
    /// The rebalance protocol, or null for the assignor's own: cooperative for <c>cooperative-sticky</c>, eager
    /// for the others (as Kafka decides).
    /// </summary>
    public RebalanceProtocol? Protocol { get; init; }

    /// <summary>When members commit. Default <see cref="CommitMode.AfterBatch"/>.</summary>
    public CommitMode CommitMode { get; init; } = CommitMode.AfterBatch;

    /// <summary>How idle members wait for events. Default <see cref="WaitStrategy.Blocking"/> (no CPU while idle).</summary>
    public WaitStrategy WaitStrategy { get; init; } = WaitStrategy.Blocking;

    /// <summary>The most events a member hands to its handler per partition before it commits and looks at its other partitions. Default 1024.</summary>
    public int MaxBatchSize { get; init; } = 1024;

    /// <summary>
    /// Batch coalescing: while events keep arriving, a member whose last pass handed out fewer than this many events
    /// pauses for about a third of a microsecond before its next pass. A member that keeps pace with its writer would
    /// otherwise read the cursor and the slots right after each publish, so the writer re-acquires those cache lines
    /// from the member's core for nearly every event (measured: the 1 writer → 1 group rate varies 2-4x with it on a
    /// 2-core machine). Costs at most that pause in latency, only for an event published right after a small batch;
    /// an idle member is never delayed. 0 turns it off. Default 256.
    /// </summary>
    public int CoalesceBelow { get; init; } = BatchCoalescing.DefaultBelow;

    /// <summary>
    /// Cores to pin member threads to, used round-robin in join order, or null for no pinning. Each worker
    /// pins itself (Linux <c>sched_setaffinity</c>, Windows <c>SetThreadAffinityMask</c>); where pinning is not
    /// supported the member runs unpinned and reports why in <see cref="GroupMember{T}.PinningError"/>.
    /// </summary>
    public IReadOnlyList<int>? Cores { get; init; }

    /// <summary>How long a rebalance waits for a member to reach a safe point before declaring it failed. Default 30 s.</summary>
    public TimeSpan RebalanceTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Liveness (Kafka's <c>session.timeout.ms</c>): how long a member that owns partitions may show no progress —
    /// no event handed to its handler, no pass of its loop — before it is declared failed. Progress is observed per
    /// event, so this bounds a single handler call (one event; one span for a batch handler; one awaited call), not a
    /// batch: a slow member that keeps handling events is never evicted by it. Idle members (waiting for events or
    /// backing off before a retry) are alive. Also bounds how long a rebalance waits for a member stuck in a handler.
    /// At least 10 ms; default 10 s.
    /// </summary>
    /// <remarks>
    /// A member declared failed is fenced: it can no longer handle or commit, its partitions move to the others,
    /// which resume from the last committed offset (at most one batch is handled twice), its state is
    /// <see cref="MemberState.Failed"/> and <see cref="OnMemberFailed"/> hears of it. Its thread ends when its
    /// handler returns. It cannot rejoin: join a new member to take partitions again.
    /// </remarks>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Progress (Kafka's <c>max.poll.interval.ms</c>): how long a member may spend on one pass over its partitions —
    /// a batch of up to <see cref="MaxBatchSize"/> events from each partition it owns, each batch committed after it
    /// is handled, as a Kafka poll returns records of several partitions — before it is declared failed (see
    /// <see cref="SessionTimeout"/> for what follows). It bounds how long a member may go between two looks at its
    /// rebalance requests; with a slow handler, lower <see cref="MaxBatchSize"/> so that a pass fits in it. At least
    /// 10 ms; default 5 min (Kafka's default).
    /// </summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long <c>Dispose</c> (and the end of a drained group) waits in all for members to finish their batch before
    /// it abandons them (fenced): one deadline for the whole call, however many members are blocked. Default 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A lossy group never gates the writer: when the writer laps it, it skips to the oldest intact event and counts
    /// what it missed (<see cref="PartitionStats.Lost"/>). Its handlers get private copies of the events, never a slot
    /// that is being overwritten. For monitoring and analytics; default false (lossless).
    /// </summary>
    public bool Lossy { get; init; }

    /// <summary>
    /// Which transactional events the group sees (Kafka's <c>isolation.level</c>), or null for the default:
    /// <see cref="IsolationLevel.ReadCommitted"/> for a lossless group, <see cref="IsolationLevel.ReadUncommitted"/> for a
    /// lossy one. Kafka's Java client defaults to read-uncommitted, librdkafka (and Confluent.Kafka) to read-committed; we
    /// take read-committed, because it is the level exactly-once needs and, without transactions, it costs one read of the
    /// last stable offset per batch (see the benchmarks). A lossy group reads uncommitted only: it copies slots the
    /// writer may overwrite, and holding it at the last stable offset would make it lose what it waits for; asking for
    /// <see cref="IsolationLevel.ReadCommitted"/> with <see cref="Lossy"/> is refused.
    /// </summary>
    public IsolationLevel? Isolation { get; init; }

    /// <summary>
    /// On a durable topic (<c>TopicOptions.Durability</c>), hand the handler only events the journal has acknowledged
    /// (the LMAX journaller-before-business-logic order): what the group acts on survives a crash, at the cost of the
    /// journal's latency (and, with a sync policy, the sync's). False (the default): the group reads events as soon as
    /// they are published, and after a crash may have acted on events the journal never kept. No effect on in-memory topics.
    /// </summary>
    public bool ReadJournaledOnly { get; init; }

    /// <summary>
    /// On a durable topic, persist the group's committed offsets in the topic's directory, so that a group with the same
    /// id resumes there in a new process (and retention keeps what it has not committed). Default true. A lossy group's
    /// offsets are never persisted. No effect on in-memory topics.
    /// </summary>
    public bool DurableOffsets { get; init; } = true;

    /// <summary>The isolation level in effect (see <see cref="Isolation"/>).</summary>
    internal bool ReadsCommitted => (Isolation ?? (Lossy ? IsolationLevel.ReadUncommitted : IsolationLevel.ReadCommitted)) == IsolationLevel.ReadCommitted;

    /// <summary>What to do when the handler throws. Default <see cref="ErrorPolicy.Default"/> (stop the member; its partitions move).</summary>
    public ErrorPolicy ErrorPolicy { get; init; } = ErrorPolicy.Default;

    /// <summary>Hears about partitions gained and lost, or null.</summary>
    public IRebalanceListener? RebalanceListener { get; init; }

    /// <summary>
    /// Called when a member faults (its handler threw and the error policy stopped it) or is declared failed (dead,
    /// or stuck past <see cref="SessionTimeout"/>, <see cref="MaxPollInterval"/> or a rebalance deadline), after
    /// the group took its partitions back; for logging and alerting. Runs on a thread-pool thread; exceptions it
    /// throws are ignored. When the failed member was the last one, <c>ConsumerGroup.Completion</c> also faults.
    /// Default null.
    /// </summary>
    public Action<MemberFailure>? OnMemberFailed { get; init; }

    /// <summary>The longest time-out the group accepts: what one timed wait can take (<see cref="int.MaxValue"/> ms, about 24.8 days).</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    internal RebalanceProtocol EffectiveProtocol =>
        Protocol ?? (Assignor is CooperativeStickyAssignor ? RebalanceProtocol.Cooperative : RebalanceProtocol.Eager);

    /// <summary>Throws when an option breaks its rule; the message names the option, the rule and the value.</summary>
    /// <remarks>Thread-safety: any thread.</remarks>
    public void Validate()
    {
        if (string.IsNullOrEmpty(GroupId))
        {
            ThrowHelper.Argument(nameof(GroupId), $"{nameof(GroupId)} must not be null or empty, was '{GroupId}'");
        }

        if (Assignor is null)
        {
            ThrowHelper.ArgumentNull(nameof(Assignor));
        }

        if (WaitStrategy is null)
        {
            ThrowHelper.ArgumentNull(nameof(WaitStrategy));
        }

        if (AutoOffsetReset is not (OffsetReset.Earliest or OffsetReset.Latest))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(AutoOffsetReset), "must be Earliest or Latest", AutoOffsetReset);
        }

        if (CommitMode is not (CommitMode.AfterBatch or CommitMode.Manual))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(CommitMode), "must be AfterBatch or Manual", CommitMode);
        }

        if (Protocol is not (null or RebalanceProtocol.Eager or RebalanceProtocol.Cooperative))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(Protocol), "must be null, Eager or Cooperative", Protocol);
        }

        if (MaxBatchSize < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(MaxBatchSize), "must be at least 1", MaxBatchSize);
        }

        if (CoalesceBelow < 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(CoalesceBelow), "must be at least 0", CoalesceBelow);
        }

        if (RebalanceTimeout <= TimeSpan.Zero || RebalanceTimeout > MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(RebalanceTimeout), $"must be positive and at most {MaxTimeout}", RebalanceTimeout);
        }

        if (SessionTimeout < TimeSpan.FromMilliseconds(10) || SessionTimeout > MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(SessionTimeout), $"must be from 10 ms to {MaxTimeout}", SessionTimeout);
        }

        if (MaxPollInterval < TimeSpan.FromMilliseconds(10) || MaxPollInterval > MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(MaxPollInterval), $"must be from 10 ms to {MaxTimeout}", MaxPollInterval);
        }

        if (ShutdownTimeout < TimeSpan.Zero || ShutdownTimeout > MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(ShutdownTimeout), $"must be from 0 to {MaxTimeout}", ShutdownTimeout);
        }

        if (Isolation is not (null or IsolationLevel.ReadCommitted or IsolationLevel.ReadUncommitted))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(Isolation), "must be null, ReadCommitted or ReadUncommitted", Isolation);
        }

        if (Lossy && Isolation == IsolationLevel.ReadCommitted)
        {
            ThrowHelper.Argument(
                nameof(Isolation),
                $"{nameof(Isolation)} must not be ReadCommitted for a lossy group (a lossy group reads uncommitted), was ReadCommitted with {nameof(Lossy)}=true: leave it null or set ReadUncommitted");
        }

        if (ErrorPolicy is null)
        {
            ThrowHelper.ArgumentNull(nameof(ErrorPolicy));
        }

        if (Cores is not null)
        {
            if (Cores.Count == 0)
            {
                ThrowHelper.Argument(nameof(Cores), $"{nameof(Cores)} must list at least one core, or be null for no pinning");
            }

            foreach (int core in Cores)
            {
                if (core < 0 || core >= Environment.ProcessorCount)
                {
                    ThrowHelper.ArgumentOutOfRange(nameof(Cores), $"must list cores from 0 to {Environment.ProcessorCount - 1}", core);
                }
            }
        }
    }
}
