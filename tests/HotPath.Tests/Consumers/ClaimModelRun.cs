using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Sdk;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Runs a <see cref="ClaimScenario"/> against the real library while keeping a plain sequential model of the
/// partition: a list with one entry per offset, each an event (its value), a gap (an abandoned multi-writer claim) or a
/// held claim. Checked throughout:
/// <list type="bullet">
/// <item>Offsets: every publish, claim and held claim gets exactly the offset the model predicts; a single-writer
/// abandon gives its offset back.</item>
/// <item>At most one writer per slot: while a claim at h is held, no other writer gets offset h + capacity (it
/// would reuse h's slot) — a publish there must not succeed, with or without a lossless group gating the writers.</item>
/// <item>Lossless groups (from the start or created late): the handler is called exactly once per event of
/// [start, end) in offset order, with the published payload; never for a gap; never a torn event.</item>
/// <item>Lossy groups: strictly increasing offsets from their start, each call with the intact payload published at
/// that offset (never a gap, never a half-filled slot), and handled + lost accounts for every offset (gaps may be
/// counted as lost or not: events &lt;= handled + lost &lt;= events + gaps).</item>
/// </list>
/// Waits are bounded: a stalled group fails the run after <see cref="Timeout"/>.
/// </summary>
internal sealed class ClaimModelRun : IDisposable
{
    private const string TopicName = "claims";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MustNotPublish = TimeSpan.FromMilliseconds(20);

    private readonly ClaimScenario _scenario;
    private readonly Topic<CheckedEvent> _topic;
    private readonly Partition<CheckedEvent> _partition;
    private readonly List<Entry> _entries = [];
    private readonly List<ClaimHolder> _held = [];
    private readonly List<ClaimHolder> _released = [];
    private readonly List<ModelGroup> _groups = [];
    private readonly ManualResetEventSlim _lossyRunning = new(true);
    private long _nextValue;
    private int _claimingThreads;
    private bool _testThreadClaimed;

    public ClaimModelRun(ClaimScenario scenario)
    {
        _scenario = scenario;
        _topic = new Topic<CheckedEvent>(new TopicOptions
        {
            Name = TopicName,
            Capacity = scenario.Capacity,
            PublishMode = scenario.SingleWriter ? PublishMode.SingleWriter : PublishMode.MultiWriter,
        });
        _partition = _topic[0];
        foreach (bool lossy in scenario.InitialGroupsLossy)
        {
            AddGroup(lossy);
        }
    }

    private enum EntryKind
    {
        Event,
        Gap,
        Held,
    }

    /// <summary>The model's next offset.</summary>
    private long Next => _entries.Count;

    /// <summary>The lowest offset a held claim owns, or MaxValue.</summary>
    private long LowestHeld => _held.Count == 0 ? long.MaxValue : _held.Min(h => h.Offset);

    /// <summary>True when the slot of <paramref name="offset"/> still belongs to a held claim one lap (or more) back.</summary>
    private bool SlotHeld(long offset) => _held.Count != 0 && offset - _scenario.Capacity >= LowestHeld;

    public void Execute()
    {
        for (int i = 0; i < _scenario.Ops.Length; i++)
        {
            ClaimScenario.Op op = _scenario.Ops[i];
            try
            {
                Apply(op);
                CheckSoFar();
            }
            catch (Exception ex) when (ex is not RunFailedException)
            {
                throw new RunFailedException($"operation {i} ({op}) failed: {ex.Message}", ex);
            }
        }

        try
        {
            Finish();
        }
        catch (Exception ex) when (ex is not RunFailedException)
        {
            throw new RunFailedException($"final check failed: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        _lossyRunning.Set();
        _held.ForEach(h => h.Dispose());
        _released.ForEach(h => h.Dispose());
        _groups.ForEach(g => g.Group.Dispose());
        _topic.Dispose();
    }

    private void Apply(ClaimScenario.Op op)
    {
        switch (op)
        {
            case ClaimScenario.Publish publish:
                Publish(publish.Count);
                break;
            case ClaimScenario.Hold:
                // One slot per writer: a claim at Next would reuse the slot of a held claim one lap back.
                if (_held.Count < ClaimScenario.MaxHeld && !SlotHeld(Next))
                {
                    _claimingThreads++;
                    var holder = new ClaimHolder(_partition);
                    Assert.True(holder.Offset == Next, $"held claim got offset {holder.Offset}, the model expects {Next}");
                    _held.Add(holder);
                    _entries.Add(new Entry(EntryKind.Held, -1));
                }

                break;
            case ClaimScenario.Release release when _held.Count != 0:
                ClaimHolder released = _held.OrderBy(h => h.Offset).ElementAt(release.Pick % _held.Count);
                long value = _nextValue++;
                released.Release(release.Publish, value);
                _held.Remove(released);
                _released.Add(released);
                _entries[(int)released.Offset] = release.Publish ? new Entry(EntryKind.Event, value) : new Entry(EntryKind.Gap, -1);
                break;
            case ClaimScenario.Abandon abandon:
                Abandon(abandon.Count);
                break;
            case ClaimScenario.AddGroup add when _groups.Count < 4:
                AddGroup(add.Lossy);
                break;
            case ClaimScenario.PauseLossy pause:
                if (pause.Pause)
                {
                    _lossyRunning.Reset();
                }
                else
                {
                    _lossyRunning.Set();
                }

                break;
            case ClaimScenario.Drain:
                DrainLossless(Math.Min(LowestHeld, Next));
                break;
        }
    }

    private void Publish(int count)
    {
        for (int i = 0; i < count; i++)
        {
            TestThreadClaims();
            var @event = new CheckedEvent(_nextValue);
            long offset;
            if (SlotHeld(Next))
            {
                // The slot of Next still belongs to the held claim at Next - capacity: no writer may take it.
                if (_partition.TryPublish(in @event, MustNotPublish, out offset))
                {
                    throw new XunitException(
                        $"a publish took offset {offset} (slot {offset % _scenario.Capacity}) while the claim at {LowestHeld} still holds that slot: "
                        + "two writers own one slot (the held claim's publish will overwrite a newer event)");
                }

                return;
            }

            long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
            while (!_partition.TryPublish(in @event, TimeSpan.FromMilliseconds(50), out offset))
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new XunitException($"no room to publish offset {Next} within {Timeout.TotalSeconds} s; {Describe()}");
                }
            }

            Assert.True(offset == Next, $"publish got offset {offset}, the model expects {Next}");
            _entries.Add(new Entry(EntryKind.Event, _nextValue++));
        }
    }

    /// <summary>Claims <paramref name="count"/> slots, half fills them, and disposes the claim unpublished.</summary>
    private void Abandon(int count)
    {
        if (SlotHeld(Next + count - 1))
        {
            return;
        }

        TestThreadClaims();
        long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        long first;
        if (count == 1)
        {
            EventClaim<CheckedEvent> claim;
            while (!_partition.TryClaim(out claim))
            {
                WaitForRoom(deadline);
            }

            first = claim.Offset;
            claim.Event = CheckedEvent.Torn;
            claim.Dispose();
        }
        else
        {
            BatchClaim<CheckedEvent> batch;
            while (!_partition.TryClaimBatch(count, out batch))
            {
                WaitForRoom(deadline);
            }

            first = batch.FirstOffset;
            for (int i = 0; i < count; i++)
            {
                batch[i] = CheckedEvent.Torn;
            }

            batch.Dispose();
        }

        Assert.True(first == Next, $"the abandoned claim got offset {first}, the model expects {Next}");
        if (!_scenario.SingleWriter)
        {
            // Multi-writer: the offsets are spent, as gaps every reader skips. Single-writer: given back.
            for (int i = 0; i < count; i++)
            {
                _entries.Add(new Entry(EntryKind.Gap, -1));
            }
        }
    }

    /// <summary>The test thread is about to try a claim: one more claiming thread for the model, the first time.</summary>
    private void TestThreadClaims()
    {
        if (!_testThreadClaimed)
        {
            _testThreadClaimed = true;
            _claimingThreads++;
        }
    }

    private void WaitForRoom(long deadline)
    {
        if (Environment.TickCount64 > deadline)
        {
            throw new XunitException($"no room to claim offset {Next} within {Timeout.TotalSeconds} s; {Describe()}");
        }

        Thread.Sleep(1);
    }

    private void AddGroup(bool lossy)
    {
        string name = $"g{_groups.Count}{(lossy ? "-lossy" : string.Empty)}";
        var group = new ConsumerGroup<CheckedEvent>(_topic, new ConsumerGroupOptions
        {
            GroupId = name,
            Lossy = lossy,
            MaxBatchSize = 4,
            SessionTimeout = TimeSpan.FromSeconds(30),
            RebalanceTimeout = Timeout,
        });
        long start = group.GetCommittedOffset(TopicName, 0);
        var model = new ModelGroup(name, group, lossy, start, lossy ? _lossyRunning : null);
        _groups.Add(model);
        Assert.True(start >= 0 && start <= Next, $"{name} starts at {start}, outside [0, {Next}]");
        group.Join(model.Handler, memberId: name + "-m");
    }

    /// <summary>Waits until every lossless group handled every event below <paramref name="limit"/>, then checks them.</summary>
    private void DrainLossless(long limit)
    {
        foreach (ModelGroup group in _groups.Where(g => !g.Lossy))
        {
            List<(long, long)> expected = ExpectedLossless(group, limit);
            Stopwatch clock = Stopwatch.StartNew();
            while (group.Handler.Count < expected.Count)
            {
                if (clock.Elapsed > Timeout)
                {
                    throw new XunitException(
                        $"{group.Name} stalled: handled {group.Handler.Count} of the {expected.Count} events below offset {limit}; "
                        + $"committed {group.Group.GetCommittedOffset(TopicName, 0)}, end offset {_partition.EndOffset}; {Describe()}");
                }

                Thread.Sleep(1);
            }

            CheckLossless(group, expected);
        }
    }

    private List<(long Offset, long Value)> ExpectedLossless(ModelGroup group, long limit)
    {
        var expected = new List<(long, long)>();
        for (long offset = group.Start; offset < Math.Min(limit, Next); offset++)
        {
            Entry entry = _entries[(int)offset];
            if (entry.Kind == EntryKind.Event)
            {
                expected.Add((offset, entry.Value));
            }
        }

        return expected;
    }

    private void CheckSoFar()
    {
        // The writer bias (multi-writer): held by the first thread that tried to claim until a second thread tries.
        bool biased = !_scenario.SingleWriter && _claimingThreads == 1;
        Assert.True(_partition.IsWriterBiased == biased, $"writer bias {_partition.IsWriterBiased}, the model expects {biased} after {_claimingThreads} claiming threads");
        foreach (ModelGroup group in _groups)
        {
            List<(long Offset, CheckedEvent Event)> seen = group.Handler.Snapshot();
            long previous = group.Start - 1;
            foreach ((long offset, CheckedEvent @event) in seen)
            {
                string where = $"{group.Name} offset {offset}";
                Assert.True(offset > previous, $"{where}: handled after offset {previous}");
                Assert.True(offset < Next, $"{where}: handled, the model ends at {Next}");
                Entry entry = _entries[(int)offset];
                Assert.True(entry.Kind == EntryKind.Event, $"{where}: the handler got {@event} at a {entry.Kind.ToString().ToLowerInvariant()} (an abandoned or held slot handed out as an event); {Describe()}");
                Assert.True(@event.IsIntact, $"{where}: the handler got a torn event {@event}; {Describe()}");
                Assert.True(entry.Value == @event.Value, $"{where}: the handler got value {@event.Value}, the model published {entry.Value}; {Describe()}");
                previous = offset;
            }
        }
    }

    private void CheckLossless(ModelGroup group, List<(long Offset, long Value)> expected)
    {
        var actual = group.Handler.Snapshot().Select(s => (s.Offset, s.Event.Value)).ToList();
        if (!actual.SequenceEqual(expected))
        {
            throw new XunitException(
                $"{group.Name}: handled [{string.Join(' ', actual.Select(a => $"{a.Offset}:{a.Value}"))}], "
                + $"the model expects [{string.Join(' ', expected.Select(e => $"{e.Offset}:{e.Value}"))}]; {Describe()}");
        }
    }

    private void Finish()
    {
        foreach (ClaimHolder holder in _held.OrderBy(h => h.Offset).ToList())
        {
            long value = _nextValue++;
            holder.Release(publish: true, value);
            _held.Remove(holder);
            _entries[(int)holder.Offset] = new Entry(EntryKind.Event, value);
        }

        _lossyRunning.Set();
        Assert.True(_partition.EndOffset == Next, $"end offset {_partition.EndOffset}, the model ends at {Next}; {Describe()}");
        DrainLossless(Next);
        foreach (ModelGroup group in _groups)
        {
            Stopwatch clock = Stopwatch.StartNew();
            while (group.Group.GetLag(TopicName, 0) != 0)
            {
                if (clock.Elapsed > Timeout)
                {
                    throw new XunitException($"{group.Name} never caught up: lag {group.Group.GetLag(TopicName, 0)}; {Describe()}");
                }

                Thread.Sleep(1);
            }
        }

        CheckSoFar();
        foreach (ModelGroup group in _groups.Where(g => g.Lossy))
        {
            int events = 0, gaps = 0;
            for (long offset = group.Start; offset < Next; offset++)
            {
                (_entries[(int)offset].Kind == EntryKind.Event ? ref events : ref gaps)++;
            }

            long handled = group.Handler.Count;
            long lost = group.Group.GetStats()[0].Lost;
            Assert.True(
                handled + lost >= events && handled + lost <= events + gaps,
                $"{group.Name}: handled {handled} + lost {lost} does not account for the {events} events (and {gaps} gaps) from its start {group.Start}; {Describe()}");
        }
    }

    private string Describe() =>
        $"model [{string.Join(' ', _entries.Select((e, i) => e.Kind switch { EntryKind.Event => $"{i}:{e.Value}", EntryKind.Gap => $"{i}:gap", _ => $"{i}:held" }))}]"
        + $"; groups {string.Join(", ", _groups.Select(g => $"{g.Name} from {g.Start} handled [{string.Join(' ', g.Handler.Snapshot().Select(s => $"{s.Offset}:{s.Event}"))}]"))}";

    private readonly record struct Entry(EntryKind Kind, long Value);

    /// <summary>A failure naming the operation; FsCheck prints the scenario.</summary>
    private sealed class RunFailedException(string message, Exception inner) : XunitException(message, inner);

    /// <summary>A group of the run, its start offset (its committed offset at creation) and its recording handler.</summary>
    private sealed record ModelGroup(string Name, ConsumerGroup<CheckedEvent> Group, bool Lossy, long Start, ManualResetEventSlim? Gate)
    {
        public RecordingClaimHandler Handler { get; } = new(Gate);
    }
}
