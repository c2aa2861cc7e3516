using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Stress;

/// <summary>
/// One transactional stage of the exactly-once pipeline: a consumer group whose members (joined with
/// <c>JoinTransactional</c>) read the input topic and publish one event per input to the output topic, and the chaos the
/// driver asks of them (see <see cref="PipelineChaos"/>), with counters of what the handlers did.
/// </summary>
/// <remarks>Thread-safety: the driver and the members' threads; counters are interlocked, lists under their lock.</remarks>
internal sealed class PipelineStage : IDisposable
{
    /// <summary>A hung handler waits at most this long for its member to be declared failed and for its release.</summary>
    private static readonly TimeSpan HangBackstop = TimeSpan.FromSeconds(30);

    /// <summary>A handler waiting for the coordinator's time-out gives up after this long (the member is fenced meanwhile).</summary>
    private static readonly TimeSpan TransactionTimeoutBackstop = TimeSpan.FromSeconds(2);

    private readonly TransactionCoordinator _coordinator;
    private readonly List<GroupMember<PipelineEvent>> _joined = [];
    private readonly List<(ManualResetEventSlim Gate, long ReleaseAt)> _hung = [];
    private readonly List<string> _errors = [];
    private int _pending;
    private int _joins;
    private int _hangsInProgress;
    private long _crashes;
    private long _hangs;
    private long _zombiesFenced;
    private long _slows;
    private long _timeouts;
    private long _lateTimeouts;
    private long _commitRaces;
    private long _commitRacesInWindow;
    private long _transients;
    private long _faulted;
    private long _failed;

    public PipelineStage(
        Topic<PipelineEvent> input, Topic<PipelineEvent> output, TransactionCoordinator coordinator, ConsumerGroupOptions options, TimeSpan hangTime, TimeSpan slowTime)
    {
        Input = input;
        Output = output;
        _coordinator = coordinator;
        HangTime = hangTime;
        SlowTime = slowTime;
        Group = new ConsumerGroup<PipelineEvent>(input, options with { OnMemberFailed = OnMemberFailed });
    }

    public ConsumerGroup<PipelineEvent> Group { get; }

    public Topic<PipelineEvent> Input { get; }

    public Topic<PipelineEvent> Output { get; }

    /// <summary>How long a hung handler stays blocked at least (its member is declared failed meanwhile).</summary>
    public TimeSpan HangTime { get; }

    /// <summary>How long a slow handler sleeps: above the transaction time-out, below the session time-out.</summary>
    public TimeSpan SlowTime { get; }

    public long Crashes => Interlocked.Read(ref _crashes);

    public long Hangs => Interlocked.Read(ref _hangs);

    /// <summary>Hung handlers that woke after their member was declared failed and found their publisher fenced.</summary>
    public long ZombiesFenced => Interlocked.Read(ref _zombiesFenced);

    public long Slows => Interlocked.Read(ref _slows);

    /// <summary>Slow handlers that woke to find their transaction aborted by the coordinator's time-out.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Slow handlers that woke to find their transaction still open: the coordinator's time-out came late.</summary>
    public long LateTimeouts => Interlocked.Read(ref _lateTimeouts);

    /// <summary>Commits that waited for the coordinator's time-out, and those that found it still under way (Aborting).</summary>
    public long CommitRaces => Interlocked.Read(ref _commitRaces);

    public long CommitRacesInWindow => Interlocked.Read(ref _commitRacesInWindow);

    public long Transients => Interlocked.Read(ref _transients);

    public long Faulted => Interlocked.Read(ref _faulted);

    public long Failed => Interlocked.Read(ref _failed);

    public bool HangInProgress => Volatile.Read(ref _hangsInProgress) != 0;

    public List<GroupMember<PipelineEvent>> Running => [.. Group.Members.Where(m => m.State == MemberState.Running)];

    /// <summary>Every member ever joined.</summary>
    public List<GroupMember<PipelineEvent>> Joined
    {
        get
        {
            lock (_joined)
            {
                return [.. _joined];
            }
        }
    }

    public List<string> Errors()
    {
        lock (_errors)
        {
            return [.. _errors];
        }
    }

    public GroupMember<PipelineEvent> Join()
    {
        var handler = new PipelineStageHandler(this);
        GroupMember<PipelineEvent> member = Group.JoinTransactional(handler, _coordinator, memberId: $"{Group.GroupId}-{Interlocked.Increment(ref _joins)}");
        handler.Member = member;
        lock (_joined)
        {
            _joined.Add(member);
        }

        return member;
    }

    /// <summary>Asks the next handler call for <paramref name="chaos"/>; false when an earlier request is still pending.</summary>
    public bool Request(PipelineChaos chaos) => Interlocked.CompareExchange(ref _pending, (int)chaos, 0) == 0;

    /// <summary>Drops a pending request.</summary>
    public void Calm() => Volatile.Write(ref _pending, 0);

    /// <summary>
    /// The pending request, taken by the calling handler; <see cref="PipelineChaos.SlowAtCommit"/> and
    /// <see cref="PipelineChaos.CommitDuringTimeout"/> wait for the end of a batch.
    /// </summary>
    public PipelineChaos Take(bool endOfBatch)
    {
        int pending = Volatile.Read(ref _pending);
        if (pending == 0 || (pending is (int)PipelineChaos.SlowAtCommit or (int)PipelineChaos.CommitDuringTimeout && !endOfBatch))
        {
            return PipelineChaos.None;
        }

        return Interlocked.CompareExchange(ref _pending, 0, pending) == pending ? (PipelineChaos)pending : PipelineChaos.None;
    }

    /// <summary>Releases the hung handlers whose time came (all with <paramref name="all"/>).</summary>
    public void ReleaseHangs(bool all)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_hung)
        {
            for (int i = _hung.Count - 1; i >= 0; i--)
            {
                if (all || _hung[i].ReleaseAt <= now)
                {
                    _hung[i].Gate.Set();
                    _hung.RemoveAt(i);
                }
            }
        }
    }

    public void CountCrash() => Interlocked.Increment(ref _crashes);

    public void CountTransient() => Interlocked.Increment(ref _transients);

    /// <summary>
    /// Blocks the calling handler past the session time-out: until its member is declared failed, and at least until
    /// <see cref="HangTime"/> passed and the driver released it. Then checks the one allowed outcome for a declared-failed
    /// member's publisher: Fenced (its open transaction aborted at once, nothing it publishes from now on visible); its
    /// next publish throws <see cref="ProducerFencedException"/>, which its member swallows.
    /// </summary>
    public void Hang(PipelineStageHandler handler, TransactionalPublisher transaction)
    {
        Interlocked.Increment(ref _hangs);
        Interlocked.Increment(ref _hangsInProgress);
        try
        {
            var gate = new ManualResetEventSlim();
            lock (_hung)
            {
                _hung.Add((gate, Stopwatch.GetTimestamp() + (long)(HangTime.TotalSeconds * Stopwatch.Frequency)));
            }

            Stopwatch waited = Stopwatch.StartNew();
            bool failed = SpinWait.SpinUntil(() => handler.Member?.State == MemberState.Failed, HangBackstop);
            gate.Wait(HangBackstop - waited.Elapsed);
            if (!failed)
            {
                Error($"member {handler.Member} hung in its handler for {waited.Elapsed.TotalSeconds:F1} s and was not declared failed");
            }
            else if (!SpinWait.SpinUntil(() => transaction.State == TransactionState.Fenced, TimeSpan.FromSeconds(5)))
            {
                Error($"member {handler.Member} was declared failed while hung in its handler, but its publisher is {transaction.State}, not fenced");
            }
            else
            {
                Interlocked.Increment(ref _zombiesFenced);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _hangsInProgress);
        }
    }

    /// <summary>
    /// Sleeps past the transaction time-out (the handler's output is published already). Allowed outcomes when it wakes:
    /// Aborted (the coordinator's time-out; counted), Open (the coordinator's check came late; counted), Fenced (the
    /// member was declared failed meanwhile). Whichever, the member hands the batch out again.
    /// </summary>
    public void Slow(TransactionalPublisher transaction)
    {
        Interlocked.Increment(ref _slows);
        Thread.Sleep(SlowTime);
        TransactionState state = transaction.State;
        if (state == TransactionState.Aborted)
        {
            Interlocked.Increment(ref _timeouts);
        }
        else if (state == TransactionState.Open)
        {
            // The coordinator's check runs on a pool timer: late when the pool is busy (see the summary).
            Interlocked.Increment(ref _lateTimeouts);
        }
    }

    /// <summary>
    /// Returns as soon as the coordinator's time-out begins to abort the transaction (Aborting) or has aborted it, so that
    /// the member's commit comes while the abort is under way; counts the races where it saw the abort under way.
    /// </summary>
    public void ReturnWhenTimingOut(TransactionalPublisher transaction)
    {
        Interlocked.Increment(ref _commitRaces);
        // Yields but never sleeps: the abort's clean-up takes microseconds, a 1 ms sleep would mostly miss it.
        var spinner = default(SpinWait);
        long giveUp = Stopwatch.GetTimestamp() + (long)(TransactionTimeoutBackstop.TotalSeconds * Stopwatch.Frequency);
        TransactionState state;
        while ((state = transaction.State) == TransactionState.Open && Stopwatch.GetTimestamp() < giveUp)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (state == TransactionState.Aborting)
        {
            Interlocked.Increment(ref _commitRacesInWindow);
        }
    }

    public void Error(string message)
    {
        lock (_errors)
        {
            if (_errors.Count < 20)
            {
                _errors.Add($"{Group.GroupId}: {message}");
            }
        }
    }

    /// <summary>Members, assignments and per-partition counters, for a run that did not drain.</summary>
    public string Describe() =>
        $"{Group.GroupId}: members [{string.Join(", ", Group.Members.Select(m => $"{m} [{string.Join(' ', m.Assignment.Select(a => a.Partition))}]"))}]; "
        + $"{string.Join("; ", Group.GetStats())}";

    public void Dispose()
    {
        ReleaseHangs(all: true);
        Group.Dispose();
    }

    private void OnMemberFailed(MemberFailure failure)
    {
        Interlocked.Increment(ref failure.State == MemberState.Faulted ? ref _faulted : ref _failed);
        if (failure.State == MemberState.Faulted && !failure.Error.Message.StartsWith("chaos:", StringComparison.Ordinal))
        {
            Error($"member {failure.MemberId} faulted on an error the chaos did not throw: {failure.Error.GetType().Name}: {failure.Error.Message}");
        }
    }
}
