using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TxnGroupScenario;

namespace HotPath.Tests.Transactions;

/// <summary>An input of the group-level property: its id (unique, increasing) and what it does to the handler.</summary>
internal struct TxnInput(long id, Fault fault, int throws)
{
    public long Id = id;
    public Fault Fault = fault;
    public int Throws = throws;
}

/// <summary>
/// One case of the group-level transaction property: a consume-transform-produce stage, a consumer group joined with
/// <c>JoinTransactional</c> on an input topic of 1-3 partitions (or, in a third of the cases, plain members that run
/// one transaction per input by hand, with SendOffsets, in CommitMode.Manual), whose handler publishes one output per
/// input (by key, by partition or through a claim, keyed by the input partition) to an output topic, then fails, hangs
/// or returns as the input says. The test thread runs the script (publishes, joins, leaves, releases of hung handlers, pauses), joins a
/// fresh member whenever no member runs while it waits (crashes and fences can leave the group empty), then completes
/// the input and waits for the group to drain. Checks (<see cref="TxnGroupRun.Check"/>), against the plain model of
/// what was published: a read-committed reader of the outputs, read after every operation while transactions are open
/// and at the end, sees, per input partition, the output of every input not skipped exactly once and in input order,
/// none of a skipped one; no transaction is left open on the outputs; the
/// group's committed offsets reach the end of every input partition.
/// </summary>
internal sealed partial class TxnGroupRun(TxnGroupScenario scenario)
{
    private const string InputName = "in";
    private static readonly TimeSpan PublishDeadline = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CompletionDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FenceDeadline = TimeSpan.FromSeconds(5);
    private readonly Setup _config = scenario.Config;
    private readonly List<TxnInput>[] _published = [.. Enumerable.Range(0, scenario.Config.Partitions).Select(_ => new List<TxnInput>())];
    private readonly List<string> _trace = [];
    private readonly List<string> _errors = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();
    private readonly Dictionary<long, int> _calls = [];
    private readonly List<(string Member, ManualResetEventSlim Gate)> _hung = [];
    private readonly List<GroupMember<TxnInput>> _members = [];
    private Topic<TxnInput> _input = null!;
    private Topic<TestEvent> _output = null!;
    private ConsumerGroup<TxnInput> _group = null!;
    private TransactionCoordinator _coordinator = null!;
    private readonly List<(long Id, int Input, int Output)> _seen = [];
    private PartitionReader<TestEvent>[] _committed = [];
    private long _nextId;
    private int _nextMember;

    public void Execute()
    {
        using var input = new Topic<TxnInput>(new TopicOptions { Name = InputName, PartitionCount = _config.Partitions, Capacity = _config.Capacity });
        using var output = new Topic<TestEvent>(new TopicOptions { Name = "out", PartitionCount = _config.OutputPartitions, Capacity = 4096 });
        using var coordinator = _config.TransactionTimeoutMs > 0 ? new TransactionCoordinator(TimeSpan.FromMilliseconds(_config.TransactionTimeoutMs)) : new TransactionCoordinator();
        (_input, _output, _coordinator) = (input, output, coordinator);
        PartitionReader<TestEvent>[] committed = [.. Enumerable.Range(0, _config.OutputPartitions).Select(p => output.CreateReader(p))];
        _committed = committed;
        PartitionReader<TestEvent>[] uncommitted = [.. Enumerable.Range(0, _config.OutputPartitions).Select(p => output.CreateReader(p, isolation: IsolationLevel.ReadUncommitted))];
        try
        {
            _group = new ConsumerGroup<TxnInput>(input, Options());
            for (int i = 0; i < _config.InitialMembers; i++)
            {
                JoinMember("initial");
            }

            for (int i = 0; i < scenario.Ops.Length; i++)
            {
                Trace($"op {i}: {scenario.Ops[i]}");
                Apply(scenario.Ops[i]);
                ReadOutputs();
            }

            ReleaseHung(all: true);
            Complete();
            Check(committed, uncommitted);
        }
        catch (Exception ex)
        {
            _errors.Add($"the run threw: {ex}");
        }
        finally
        {
            ReleaseHung(all: true, wait: false);
            _group?.Dispose();
            Array.ForEach([.. committed, .. uncommitted], r => r.Dispose());
        }

        if (_errors.Count != 0)
        {
            throw new Xunit.Sdk.XunitException(Describe());
        }
    }

    private ConsumerGroupOptions Options() => new()
    {
        GroupId = "stage",
        Assignor = _config.Assignor switch
        {
            "range" => new RangeAssignor(),
            "roundrobin" => new RoundRobinAssignor(),
            _ => new CooperativeStickyAssignor(),
        },
        MaxBatchSize = _config.MaxBatchSize,
        CommitMode = _config.Manual ? CommitMode.Manual : CommitMode.AfterBatch,
        SessionTimeout = TimeSpan.FromMilliseconds(_config.SessionTimeoutMs),
        RebalanceTimeout = TimeSpan.FromSeconds(5),
        ShutdownTimeout = TimeSpan.FromSeconds(2),
        ErrorPolicy = _config.StopPolicy ? ErrorPolicy.Default : new ErrorPolicy
        {
            MaxAttempts = _config.MaxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(2),
            AfterRetries = ErrorAction.Skip,
        },
    };

    private void Trace(string line)
    {
        lock (_lock)
        {
            _trace.Add($"{_clock.ElapsedMilliseconds,6} ms  {line}");
        }
    }

    private void JoinMember(string why)
    {
        string name = $"m{_nextMember++}";
        if (_config.Manual)
        {
            TransactionalPublisher publisher = _coordinator.CreatePublisher($"manual/{name}");
            _members.Add(_group.Join(new ManualTransform(this, name, publisher), memberId: name));
        }
        else
        {
            _members.Add(_group.JoinTransactional(new TransactionalTransform(this, name), _coordinator, memberId: name));
        }

        Trace($"  {why}: joined {name}");
    }

    /// <summary>Crashes and fences can leave the group without a running member: join one (a restarted process).</summary>
    private void EnsureLive()
    {
        if (_group.Completion.IsCompleted || _group.Members.Any(m => m.State == MemberState.Running))
        {
            return;
        }

        try
        {
            JoinMember("supervisor");
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("has drained and completed", StringComparison.Ordinal))
        {
            // The group drained (and stopped its members) between the check above and the join: a join after that is
            // refused, as it must be; nothing is left to read.
            Trace("  supervisor: the group drained, no member needed");
        }
    }

    private void Apply(Op op)
    {
        switch (op)
        {
            case Publish publish:
                PublishInputs(publish);
                break;
            case Join:
                JoinMember("join");
                break;
            case Leave leave:
                List<GroupMember<TxnInput>> running;
                lock (_lock)
                {
                    // A hung member is left to the watchdog: its Leave would wait for the hung handler.
                    running = [.. _members.Where(m => m.State == MemberState.Running && !_hung.Any(h => h.Member == m.MemberId))];
                }

                if (running.Count != 0)
                {
                    GroupMember<TxnInput> member = running[leave.Pick % running.Count];
                    member.Leave();
                    Trace($"  {member.MemberId} left ({member.State})");
                }

                break;
            case Release:
                ReleaseHung(all: true);
                break;
            case Settle settle:
                Thread.Sleep(settle.Ms);
                break;
        }
    }

    private void PublishInputs(Publish op)
    {
        int partition = _input.PartitionFor($"k{op.Key}");
        long deadline = Environment.TickCount64 + (long)PublishDeadline.TotalMilliseconds;
        foreach ((Fault fault, int throws) in op.Events)
        {
            var @event = new TxnInput(_nextId++, fault, throws);
            long offset;
            while (!_input[partition].TryPublish(in @event, TimeSpan.FromMilliseconds(50), out offset))
            {
                ReleaseHung(all: false);
                EnsureLive();
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException($"publish to input partition {partition} found no room for {PublishDeadline}: {Stats()}");
                }
            }

            if (offset != _published[partition].Count)
            {
                throw new InvalidOperationException($"publish to input partition {partition} got offset {offset}, the model expects {_published[partition].Count}");
            }

            _published[partition].Add(@event);
        }

        Trace($"  input partition {partition} now ends at {_published[partition].Count}");
    }

    /// <summary>
    /// Reads what the read-committed readers of the outputs hand out now, while transactions are open: they must never
    /// see an output that will not commit (the checks run over everything read, during the run and after it).
    /// </summary>
    private void ReadOutputs()
    {
        for (int q = 0; q < _committed.Length; q++)
        {
            while (_committed[q].TryRead(out TestEvent @event, out _))
            {
                _seen.Add((@event.Value, @event.Writer, q));
            }
        }
    }

    private string Stats() =>
        $"{Environment.NewLine}    members {string.Join(", ", _group.Members.Select(m => $"{m} [{string.Join(' ', m.Assignment.Select(a => a.Partition))}]"))}" +
        string.Concat(_group.GetStats().Select(s => $"{Environment.NewLine}    {s}"));
}
