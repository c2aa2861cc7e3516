using System.Diagnostics;
using System.Text;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Topics;
using static HotPath.Tests.Consumers.FailureModel.Scenario;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>
/// One case of the model-based property of the failure semantics of consumer groups (README "Guarantees"). Each case builds a topic of
/// 1-3 partitions (capacity 32 or 64) read by a <i>tolerant</i> lossless group (error policy Skip or DeadLetter), an
/// optional <i>stopper</i> lossless group (error policy StopMember) and an optional lossy group, then runs 10-30 random
/// operations from the test thread: keyed publishes whose events carry their own fate, join, leave, restart (leave plus
/// a fresh join, a process restart), seek back within the retained window, and pausing the lossy group. At the end it
/// completes the topic, waits for every group's completion, and checks the recorded deliveries against a plain
/// sequential model: a <see cref="List{T}"/> of published events per partition.
/// </summary>
/// <remarks>
/// <para><b>Data-driven failures.</b> The handler's behaviour depends only on a field of the event and on counters kept
/// per group, so the model knows every outcome:</para>
/// <list type="bullet">
/// <item><c>T k</c> (transient): the group's handlers throw the first k calls for that event, k &lt; MaxAttempts of every
/// lossless group, so the policy always retries it to success (never skipped, never a member stop).</item>
/// <item><c>P</c> (permanent): throws on every call in the tolerant group, so its policy gives up after MaxAttempts and
/// skips or dead-letters it. Under StopMember a permanent failure would stop every member that touches it and the group
/// could never drain, so in the stopper group the same event is an ordinary one: failure is a property of the pair
/// (event, group), and the model derives it from the group's policy.</item>
/// <item><c>C</c> (crash): in the stopper group, throws the first MaxAttempts calls, which stops the member that got
/// them (a process crash); the next owner handles it (the tolerant and lossy groups ignore the marker). If a rebalance
/// moves the partition between attempts the throws spread over two members and nobody stops: the model does not care.</item>
/// <item><c>H</c> (hang): the first call in each lossless group blocks for 2 x SessionTimeout + 50 ms, so the watchdog
/// usually fences that member and its partitions move while it is still inside its handler.</item>
/// </list>
/// <para>A supervisor joins a fresh member whenever a lossless group has no running member while the test waits (a
/// publish on a full ring, completion): crashes and fences otherwise leave a group without members.</para>
/// <para><b>Checks</b>, per lossless group and partition, over the log of handler calls in the order they returned:</para>
/// <list type="number">
/// <item>Every published event is handled (returned normally) at least once, except exactly the ones its policy gave up
/// on (P in the tolerant group), which are never handled and are reported to OnSkipped with Attempts = MaxAttempts;
/// the stopper group skips nothing. The payload handed over is the one published at that offset.</item>
/// <item>First deliveries come in strictly increasing offset order.</item>
/// <item>Redeliveries: a <i>run</i> is a maximal stretch of calls by one member on the partition with consecutive offsets
/// (a throw may be followed by a retry of the same offset). The reach R is one past the highest offset handled or given up
/// on so far, by members not fenced at that moment. A run that starts at s &lt; R re-covers [s, R): that is a contiguous
/// range ending where the earlier delivery had got to. It must be explained either by a seek to s recorded earlier (then
/// R restarts at s), or by a fence: R - s &lt;= MaxBatchSize, and the partition has no more such runs than the group has
/// fenced members. A run starting past R would have skipped events: always a failure. Calls by a member already fenced
/// (State Failed when its call returns) are zombie calls: they count as handled but neither start runs nor move R.</item>
/// <item>A given-up event is reported again only inside such a re-covered range; DeadLetter: the dead-letter topic holds
/// exactly the reported events (as a multiset), with the original event, topic, partition, offset, group and attempt
/// count; the stats count them (Skipped or DeadLettered) and the committed offset is the end offset.</item>
/// <item>No two members of a group are ever inside the handler for the same partition at once, except when one of the
/// two ended up fenced (the documented case: a fenced member may still be inside its handler when the new owner starts).</item>
/// </list>
/// <para>Lossy group (one member, never failed): it sees each partition in strictly increasing offset order with the
/// published payloads, and handled + lost = published exactly.</para>
/// </remarks>
internal sealed class FailureModelRun(Scenario scenario)
{
    public const string TopicName = "events";
    private static readonly TimeSpan PublishDeadline = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CompletionDeadline = TimeSpan.FromSeconds(30);
    private readonly Config _config = scenario.Config;
    private readonly List<FaultEvent>[] _published = [.. Enumerable.Range(0, scenario.Config.Partitions).Select(_ => new List<FaultEvent>())];
    private readonly List<GroupRun> _lossless = [];
    private readonly List<string> _trace = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ManualResetEventSlim _lossyRunning = new(true);
    private Topic<FaultEvent> _topic = null!;
    private GroupRun? _lossy;
    private long _nextId;
    private int _nextMember;

    public void Execute()
    {
        var errors = new List<string>();
        var groups = new List<ConsumerGroup<FaultEvent>>();
        using var topic = new Topic<FaultEvent>(new TopicOptions { Name = TopicName, PartitionCount = _config.Partitions, Capacity = _config.Capacity });
        using var deadLetters = new Topic<DeadLetter<FaultEvent>>(new TopicOptions { Name = TopicName + ".dlq", Capacity = 1024 });
        using var deadLetterReader = deadLetters.CreateReader(0);
        _topic = topic;
        try
        {
            var tolerant = new GroupRun("tolerant", GroupKind.Tolerant, _config.Partitions, _config.TolerantAttempts);
            tolerant.Group = new ConsumerGroup<FaultEvent>(topic, Options(tolerant, new ErrorPolicy
            {
                MaxAttempts = _config.TolerantAttempts,
                InitialBackoff = TimeSpan.FromMilliseconds(1),
                MaxBackoff = TimeSpan.FromMilliseconds(2),
                AfterRetries = _config.TolerantAction,
                DeadLetterTopic = _config.TolerantAction == ErrorAction.DeadLetter ? deadLetters : null,
                OnSkipped = e => tolerant.Log(e.Partition, new Rec(RecKind.Skip, e.MemberId, e.Offset, -1, tolerant.IsFenced(e.MemberId), e.Attempts)),
            }));
            groups.Add(tolerant.Group);
            _lossless.Add(tolerant);
            if (_config.HasStopper)
            {
                var stopper = new GroupRun("stopper", GroupKind.Stopper, _config.Partitions, _config.StopperAttempts);
                stopper.Group = new ConsumerGroup<FaultEvent>(topic, Options(stopper, new ErrorPolicy
                {
                    MaxAttempts = _config.StopperAttempts,
                    InitialBackoff = TimeSpan.FromMilliseconds(1),
                    MaxBackoff = TimeSpan.FromMilliseconds(2),
                    AfterRetries = ErrorAction.StopMember,
                    OnSkipped = e => stopper.Log(e.Partition, new Rec(RecKind.Skip, e.MemberId, e.Offset, -1, false, e.Attempts)),
                }));
                groups.Add(stopper.Group);
                _lossless.Add(stopper);
            }

            if (_config.HasLossy)
            {
                _lossy = new GroupRun("lossy", GroupKind.Lossy, _config.Partitions, 1);
                _lossy.Group = new ConsumerGroup<FaultEvent>(topic, Options(_lossy, ErrorPolicy.Default) with { Lossy = true, SessionTimeout = TimeSpan.FromSeconds(30) });
                groups.Add(_lossy.Group);
                _lossy.Members.Add(_lossy.Group.Join(new LossyHandler(_lossy, _lossyRunning), memberId: "lossy"));
            }

            foreach (GroupRun group in _lossless)
            {
                for (int i = 0; i < _config.InitialMembers; i++)
                {
                    JoinMember(group, "initial");
                }
            }

            for (int i = 0; i < scenario.Ops.Length; i++)
            {
                Trace($"op {i}: {scenario.Ops[i]}");
                Apply(scenario.Ops[i]);
            }

            _lossyRunning.Set();
            Complete(groups);
            new FailureModelChecks(_config, _published, _lossless, _lossy).Check(errors, deadLetterReader);
        }
        catch (Exception ex)
        {
            errors.Add($"the run threw: {ex}");
        }
        finally
        {
            _lossyRunning.Set();
            foreach (ConsumerGroup<FaultEvent> group in groups)
            {
                group.Dispose();
            }
        }

        if (errors.Count != 0)
        {
            throw new Xunit.Sdk.XunitException(Describe(errors));
        }
    }

    private ConsumerGroupOptions Options(GroupRun group, ErrorPolicy policy) => new()
    {
        GroupId = group.Name,
        Assignor = _config.Assignor switch
        {
            "range" => new RangeAssignor(),
            "roundrobin" => new RoundRobinAssignor(),
            _ => new CooperativeStickyAssignor(),
        },
        MaxBatchSize = _config.MaxBatchSize,
        SessionTimeout = TimeSpan.FromMilliseconds(_config.SessionTimeoutMs),
        RebalanceTimeout = TimeSpan.FromSeconds(5),
        ShutdownTimeout = TimeSpan.FromSeconds(2),
        ErrorPolicy = policy,
    };

    private void Trace(string line) => _trace.Add($"{_clock.ElapsedMilliseconds,6} ms  {line}");

    private void JoinMember(GroupRun group, string why)
    {
        string name = $"{group.Name}-m{_nextMember++}";
        var handler = new ModelHandler(group, name, _config.HangMs);
        lock (group.Lock)
        {
            group.Handlers[name] = handler;
        }

        GroupMember<FaultEvent> member = group.Group.Join(handler, memberId: name);
        handler.Member = member;
        group.Members.Add(member);
        Trace($"  {why}: joined {name}");
    }

    /// <summary>Crashes and fences can leave a lossless group without a running member: join one (a restarted process).</summary>
    private void EnsureLive()
    {
        foreach (GroupRun group in _lossless)
        {
            if (group.Group.Completion.IsCompleted || group.Group.Members.Any(m => m.State == MemberState.Running))
            {
                continue;
            }

            try
            {
                JoinMember(group, "supervisor");
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("has drained and completed", StringComparison.Ordinal))
            {
                // The group drained (and stopped its members) between the check above and the join: nothing is left to
                // read, and its Completion is about to complete. A join after that is refused, as it must be.
                Trace($"  supervisor: {group.Name} drained, no member needed");
            }
        }
    }

    private List<GroupMember<FaultEvent>> Running(GroupRun group) =>
        [.. group.Group.Members.Where(m => m.State == MemberState.Running)];

    private void Apply(Op op)
    {
        switch (op)
        {
            case PublishOp publish:
                Publish(publish);
                break;
            case JoinOp join:
                JoinMember(_lossless[join.Group], "join");
                break;
            case LeaveOp leave:
                {
                    var running = Running(_lossless[leave.Group]);
                    if (running.Count < 2)
                    {
                        Trace("  skipped: the group would be left without a running member");
                        break;
                    }

                    GroupMember<FaultEvent> member = running[leave.Pick % running.Count];
                    member.Leave();
                    Trace($"  {member.MemberId} left ({member.State})");
                    break;
                }

            case RestartOp restart:
                {
                    var running = Running(_lossless[restart.Group]);
                    if (running.Count > 0)
                    {
                        GroupMember<FaultEvent> member = running[restart.Pick % running.Count];
                        member.Leave();
                        Trace($"  {member.MemberId} left ({member.State})");
                    }

                    JoinMember(_lossless[restart.Group], "restart");
                    break;
                }

            case SeekOp seek:
                Seek(_lossless[seek.Group], seek.Partition, seek.Percent);
                break;
            case LossyPauseOp pause when _lossy is not null:
                if (pause.Pause)
                {
                    _lossyRunning.Reset();
                }
                else
                {
                    _lossyRunning.Set();
                }

                break;
        }
    }

    private void Publish(PublishOp op)
    {
        int partition = _topic.PartitionFor($"k{op.Key}");
        long deadline = Environment.TickCount64 + (long)PublishDeadline.TotalMilliseconds;
        foreach ((Fault fault, int throws) in op.Events)
        {
            var @event = new FaultEvent(_nextId++, op.Key, fault, throws);
            long offset;
            while (!_topic[partition].TryPublish(in @event, TimeSpan.FromMilliseconds(50), out offset))
            {
                EnsureLive();
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException($"publish to partition {partition} found no room for {PublishDeadline}: {Stats()}");
                }
            }

            if (offset != _published[partition].Count)
            {
                throw new InvalidOperationException($"publish to partition {partition} got offset {offset}, the model expected {_published[partition].Count}");
            }

            _published[partition].Add(@event);
        }

        Trace($"  partition {partition} now ends at {_published[partition].Count}");
    }

    /// <summary>
    /// Seeks back (never forward: that would skip events on purpose) to a point between the partition's start offset
    /// and the group's committed offset. The seek is logged before the call (its replay may start before Seek returns)
    /// and marked rejected when the window moved meanwhile (the library then throws and changes nothing).
    /// </summary>
    private void Seek(GroupRun group, int partition, int percent)
    {
        long low = _topic[partition].StartOffset;
        long committed = group.Group.GetCommittedOffset(TopicName, partition);
        long target = low + ((Math.Max(0, committed - low) * percent) / 100);
        group.Log(partition, new Rec(RecKind.Seek, "test", target, -1, false, 0));
        try
        {
            group.Group.Seek(TopicName, partition, target);
            Trace($"  {group.Name} p{partition}: window [{low}, committed {committed}], sought {target}");
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException)
        {
            group.Log(partition, new Rec(RecKind.SeekRejected, "test", target, -1, false, 0));
            Trace($"  {group.Name} p{partition}: seek {target} rejected: {ex.Message}");
        }
    }

    private void Complete(List<ConsumerGroup<FaultEvent>> groups)
    {
        Trace("complete the topic");
        Task completed = _topic.CompleteAsync();
        long deadline = Environment.TickCount64 + (long)CompletionDeadline.TotalMilliseconds;
        while (!completed.Wait(20))
        {
            EnsureLive();
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"topic.CompleteAsync did not return within {CompletionDeadline}: {Stats()}");
            }
        }

        foreach (ConsumerGroup<FaultEvent> group in groups)
        {
            if (!group.Completion.Wait(TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException($"group {group.GroupId} did not complete within 10 s: {Stats()}");
            }
        }

        Trace("every group completed");
    }

    private string Stats()
    {
        var text = new StringBuilder();
        foreach (GroupRun group in _lossy is null ? _lossless : [.. _lossless, _lossy])
        {
            text.Append($"{Environment.NewLine}    {group.Name}: members {string.Join(", ", group.Group.Members.Select(m => $"{m} [{string.Join(' ', m.Assignment.Select(a => a.Partition))}]"))}");
            foreach (PartitionStats s in group.Group.GetStats())
            {
                text.Append($"{Environment.NewLine}      {s}");
            }
        }

        return text.ToString();
    }

    private string Describe(List<string> errors)
    {
        var text = new StringBuilder();
        text.AppendLine($"{errors.Count} model violations:");
        foreach (string error in errors.Take(20))
        {
            text.AppendLine($"  - {error}");
        }

        text.AppendLine($"scenario: {scenario}");
        text.AppendLine("trace:");
        foreach (string line in _trace)
        {
            text.AppendLine($"  {line}");
        }

        foreach (GroupRun group in _lossless)
        {
            text.AppendLine($"{group.Name}: members {string.Join(", ", group.Members.Select(m => $"{m.MemberId} ({m.State})"))}");
            lock (group.Lock)
            {
                for (int p = 0; p < _config.Partitions; p++)
                {
                    text.AppendLine($"  p{p}: {string.Join(' ', group.Logs[p].Select(Format))}");
                }
            }
        }

        return text.ToString();
    }

    private static string Format(Rec rec) => rec.Kind switch
    {
        RecKind.Success => $"{rec.Member[(rec.Member.LastIndexOf('-') + 1)..]}:{rec.Offset}{(rec.Zombie ? "z" : string.Empty)}",
        RecKind.Throw => $"{rec.Member[(rec.Member.LastIndexOf('-') + 1)..]}:{rec.Offset}!",
        RecKind.Skip => $"{rec.Member[(rec.Member.LastIndexOf('-') + 1)..]}:{rec.Offset}skip",
        RecKind.Seek => $"<seek {rec.Offset}>",
        _ => $"<seek {rec.Offset} rejected>",
    };
}
