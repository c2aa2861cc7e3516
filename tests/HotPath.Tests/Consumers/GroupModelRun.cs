using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Sdk;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Runs a <see cref="GroupScenario"/> against the real library on the calling thread while keeping a plain
/// sequential model, and checks the library against the model after every operation that settles it.
/// </summary>
/// <remarks>
/// <para>The model: per partition, the list of published events (value and key id); per group and partition, the
/// expected delivery stream (<see cref="ExpectedStream"/>): every offset from 0, and after a seek to s from
/// position q, the stream continues at s (offsets in [s, q) come again).</para>
/// <para>Where the real system is nondeterministic (how far a member got before it left), the run reads the
/// group's committed offset only while the group has no member (nothing moves it then) and checks it against
/// the deliveries the handler recorded: they must be exactly the model's stream up to that offset.</para>
/// <para>No operation blocks forever: a publish never asks for more than the ring can ever free while a
/// member-less group holds it, and every wait fails the run after <see cref="Timeout"/>.</para>
/// </remarks>
internal sealed class GroupModelRun : IDisposable
{
    private const string TopicName = "model";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly GroupScenario _scenario;
    private readonly Topic<TestEvent> _topic;
    private readonly List<GroupUnderTest> _groups;
    private readonly List<long>[] _published;
    private readonly List<int> _keyOfValue = [];
    private readonly int?[] _partitionOfKey = new int?[GroupScenario.KeyCount];
    private readonly PartitionReader<TestEvent>[]? _retainers;

    public GroupModelRun(GroupScenario scenario)
    {
        _scenario = scenario;
        _topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = TopicName,
            PartitionCount = scenario.Partitions,
            Capacity = scenario.Capacity,
            PublishMode = scenario.SingleWriter ? PublishMode.SingleWriter : PublishMode.MultiWriter,
        });
        _published = [.. Enumerable.Range(0, scenario.Partitions).Select(_ => new List<long>())];
        _retainers = scenario.Retain ? [.. Enumerable.Range(0, scenario.Partitions).Select(p => _topic.CreateReader(p))] : null;
        _groups = [.. scenario.Groups.Select((spec, i) => new GroupUnderTest(_topic, $"g{i}", spec, scenario))];
        foreach (GroupUnderTest group in _groups)
        {
            for (int m = 0; m < group.Spec.InitialMembers; m++)
            {
                group.JoinOne();
            }
        }
    }

    /// <summary>
    /// A group created after publishing started: it starts at its committed offset on creation (checked to lie in the
    /// retained window), and the model expects every offset from there.
    /// </summary>
    private void CreateGroup(GroupScenario.GroupSpec spec)
    {
        if (_groups.Count >= GroupScenario.MaxGroups)
        {
            return;
        }

        var group = new GroupUnderTest(_topic, $"g{_groups.Count}", spec, _scenario);
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            long start = group.Group.GetCommittedOffset(TopicName, p);
            Partition<TestEvent> real = _topic[p];
            Assert.True(
                start >= real.StartOffset && start <= _published[p].Count,
                $"{group.Name} created at p{p} offset {start}, outside the retained window [{real.StartOffset}, {_published[p].Count}]");
            group.Streams[p] = new ExpectedStream(start);
        }

        _groups.Add(group);
        for (int m = 0; m < spec.InitialMembers; m++)
        {
            group.JoinOne();
        }

        CheckOwnership(group);
    }

    /// <summary>Applies every operation, then gives every group a member, drains them and checks the end state.</summary>
    public void Execute()
    {
        ModelSteps.Run(_scenario.Ops, Apply, CheckNoOverlap, Finish, () => string.Empty);
    }

    private void CheckNoOverlap()
    {
        foreach (GroupUnderTest group in _groups)
        {
            Assert.True(group.Handler.Overlaps == 0, $"{group.Name}: two members handled one partition at once");
        }
    }

    public void Dispose()
    {
        foreach (GroupUnderTest group in _groups)
        {
            group.Group.Dispose();
        }

        foreach (PartitionReader<TestEvent> reader in _retainers ?? [])
        {
            reader.Dispose();
        }

        _topic.Dispose();
    }

    private void Apply(GroupScenario.Op op)
    {
        switch (op)
        {
            case GroupScenario.Publish publish:
                Publish(publish.Key, publish.Count);
                break;
            case GroupScenario.Join join:
                GroupUnderTest joining = GroupOf(join.Group);
                joining.JoinOne();
                CheckOwnership(joining);
                break;
            case GroupScenario.Leave leave:
                GroupUnderTest leaving = GroupOf(leave.Group);
                if (leaving.Members.Count == 0)
                {
                    break;
                }

                GroupMember<TestEvent> member = leaving.Members[leave.Member % leaving.Members.Count];
                member.Leave();
                leaving.Members.Remove(member);
                // Not fenced: it reached its safe point in time. (Its state after leaving has its own test.)
                Assert.NotEqual(MemberState.Failed, member.State);
                Assert.Empty(member.Assignment);
                CheckOwnership(leaving);
                if (leaving.Members.Count == 0)
                {
                    // The last member committed exactly what it handled on every partition.
                    for (int p = 0; p < _scenario.Partitions; p++)
                    {
                        SettledPosition(leaving, p);
                    }
                }

                break;
            case GroupScenario.Seek seek:
                Seek(GroupOf(seek.Group), seek.Partition % _scenario.Partitions, seek.Choice, seek.Kind);
                break;
            case GroupScenario.WaitForDrain drain:
                Drain(GroupOf(drain.Group));
                break;
            case GroupScenario.Trim trim:
                Trim(trim.Partition % _scenario.Partitions, trim.Count);
                break;
            case GroupScenario.CreateGroup create:
                CreateGroup(create.Spec);
                break;
            default:
                throw new InvalidOperationException($"unknown operation {op}");
        }
    }

    private GroupUnderTest GroupOf(int index) => _groups[index % _groups.Count];

    private void Publish(int key, int count)
    {
        string keyText = $"k{key}";
        int partition = _topic.PartitionFor(keyText);
        if (_partitionOfKey[key] is int known)
        {
            Assert.True(known == partition, $"key {keyText} moved from partition {known} to {partition}");
        }

        _partitionOfKey[key] = partition;
        List<long> log = _published[partition];

        // A group without members holds every event it has not committed: publish only what fits beside them.
        // So does the retaining reader, which only Trim moves.
        long limit = count;
        if (_retainers is not null)
        {
            limit = Math.Min(limit, _scenario.Capacity - (log.Count - _retainers[partition].CommittedOffset));
        }

        foreach (GroupUnderTest group in _groups.Where(g => g.Members.Count == 0))
        {
            long held = log.Count - SettledPosition(group, partition);
            Assert.InRange(held, 0, _scenario.Capacity);
            limit = Math.Min(limit, _scenario.Capacity - held);
        }

        for (long i = 0; i < limit; i++)
        {
            var @event = new TestEvent(_keyOfValue.Count, key);
            PublishResult result = default;
            // Members drain the ring concurrently; a bounded wait for room, never Publish (which waits forever).
            WaitUntil(() => _topic.TryPublish(keyText, in @event, out result), $"room to publish into partition {partition}");
            Assert.Equal(partition, result.Partition);
            Assert.Equal(log.Count, result.Offset);
            log.Add(@event.Value);
            _keyOfValue.Add(key);
        }
    }

    private void Seek(GroupUnderTest group, int partition, int choice, GroupScenario.SeekKind kind)
    {
        // Quiesce: every group with members handles everything, so each group's committed offset stands still.
        foreach (GroupUnderTest other in _groups.Where(g => g.Members.Count != 0))
        {
            Drain(other);
        }

        long end = _published[partition].Count;
        Dictionary<GroupUnderTest, long> positions = _groups.ToDictionary(g => g, g => g.Members.Count != 0 ? end : SettledPosition(g, partition));
        long low = Math.Min(positions.Values.Min(), _retainers?[partition].CommittedOffset ?? long.MaxValue);
        Partition<TestEvent> real = _topic[partition];
        Assert.True(low == real.StartOffset, $"start offset of p{partition}: model {low}, library {real.StartOffset}");
        Assert.True(end == real.EndOffset, $"end offset of p{partition}: model {end}, library {real.EndOffset}");

        if (kind == GroupScenario.SeekKind.InWindow)
        {
            long offset = low + (choice % (end - low + 1));
            group.Streams[partition].SeekFrom(positions[group], offset);
            group.Group.Seek(TopicName, partition, offset);
            if (group.Members.Count == 0)
            {
                Assert.Equal(offset, group.Group.GetCommittedOffset(TopicName, partition));
            }

            return;
        }

        long outside = kind == GroupScenario.SeekKind.BelowWindow ? low - 1 - (choice % 4) : end + 1 + (choice % 4);
        long committedBefore = group.Group.GetCommittedOffset(TopicName, partition);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => group.Group.Seek(TopicName, partition, outside));
        Assert.Contains($"[{low}, {end}]", error.Message, StringComparison.Ordinal);
        Assert.Equal(committedBefore, group.Group.GetCommittedOffset(TopicName, partition));
        Assert.Equal(low, real.StartOffset);
        Assert.Equal(end, real.EndOffset);
    }

    /// <summary>The retaining reader reads (checking each value against the model) and commits up to <paramref name="count"/> events.</summary>
    private void Trim(int partition, int count)
    {
        if (_retainers is null)
        {
            return;
        }

        PartitionReader<TestEvent> reader = _retainers[partition];
        for (int i = 0; i < count; i++)
        {
            long expected = reader.Position;
            if (!reader.TryRead(out TestEvent @event, out long offset))
            {
                Assert.Equal(_published[partition].Count, expected);
                break;
            }

            Assert.Equal(expected, offset);
            Assert.Equal(_published[partition][(int)offset], @event.Value);
        }

        reader.Commit();
        Assert.Equal(reader.Position, reader.CommittedOffset);
    }

    /// <summary>With members: waits until the group handled everything, then checks every stream. Without: checks the streams so far.</summary>
    private void Drain(GroupUnderTest group)
    {
        if (group.Members.Count == 0)
        {
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                SettledPosition(group, p);
            }

            return;
        }

        long expected = 0;
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            expected += group.Streams[p].CountThrough(_published[p].Count);
        }

        WaitUntil(
            () => group.Handler.Deliveries.Count >= expected
                && Enumerable.Range(0, _scenario.Partitions).All(p => group.Group.GetLag(TopicName, p) == 0),
            $"{group.Name} to drain ({group.Handler.Deliveries.Count} of {expected} deliveries)");
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            Assert.Equal(_published[p].Count, group.Group.GetCommittedOffset(TopicName, p));
            CheckDelivered(group, p, _published[p].Count);
        }
    }

    /// <summary>The committed offset of a member-less group (it cannot move), after checking the deliveries up to it.</summary>
    private long SettledPosition(GroupUnderTest group, int partition)
    {
        Debug.Assert(group.Members.Count == 0, "only a member-less group stands still");
        long committed = group.Group.GetCommittedOffset(TopicName, partition);
        Assert.InRange(committed, 0, _published[partition].Count);
        CheckDelivered(group, partition, committed);
        return committed;
    }

    /// <summary>The deliveries recorded for the group on a partition are exactly the model's stream up to <paramref name="position"/>.</summary>
    private void CheckDelivered(GroupUnderTest group, int partition, long position)
    {
        List<long> expected = group.Streams[partition].Through(position);
        var actual = group.Handler.Deliveries.Where(d => d.Partition == partition).ToList();
        int common = Math.Min(expected.Count, actual.Count);
        for (int i = 0; i < common; i++)
        {
            if (actual[i].Offset != expected[i])
            {
                throw new XunitException(
                    $"{group.Name} p{partition}: delivery #{i} was offset {actual[i].Offset}, model expects {expected[i]}; "
                    + $"model stream {Describe(expected)}, delivered {Describe(actual.Select(d => d.Offset).ToList())}");
            }

            long value = _published[partition][(int)actual[i].Offset];
            Assert.True(actual[i].Value == value, $"{group.Name} p{partition}: offset {actual[i].Offset} carried value {actual[i].Value}, published {value}");
        }

        if (actual.Count != expected.Count)
        {
            throw new XunitException(
                $"{group.Name} p{partition}: {actual.Count} deliveries, model expects {expected.Count} up to position {position}; "
                + $"model stream {Describe(expected)}, delivered {Describe(actual.Select(d => d.Offset).ToList())}");
        }
    }

    /// <summary>After Join/Leave returned: every partition has exactly one owner (when the group has members), the one the assignment names.</summary>
    private void CheckOwnership(GroupUnderTest group)
    {
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment = group.Group.Assignment;
        Assert.Equal(group.Members.Count, assignment.Count);
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            var holders = assignment.Where(a => a.Value.Contains(new TopicPartition(TopicName, p))).Select(a => a.Key).ToList();
            string? owner = group.Group.GetOwner(TopicName, p);
            if (group.Members.Count == 0)
            {
                Assert.Null(owner);
                continue;
            }

            Assert.True(holders.Count == 1, $"{group.Name} p{p} assigned to [{string.Join(", ", holders)}]");
            Assert.True(holders[0] == owner, $"{group.Name} p{p}: assigned to {holders[0]}, owned by {owner ?? "nobody"}");
        }
    }

    private void Finish()
    {
        foreach (GroupUnderTest group in _groups.Where(g => g.Members.Count == 0))
        {
            group.JoinOne();
            CheckOwnership(group);
        }

        foreach (GroupUnderTest group in _groups)
        {
            Drain(group);
            Assert.True(group.Handler.Overlaps == 0, $"{group.Name}: two members handled one partition at once");
            Assert.All(group.Members, m => Assert.Equal(MemberState.Running, m.State));
            CheckOwnership(group);
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                Assert.Equal(0, group.Group.GetLag(TopicName, p));
                CheckKeyOrder(group, p);
            }
        }
    }

    /// <summary>Within each stretch between seeks, every key's values arrive in increasing order.</summary>
    private void CheckKeyOrder(GroupUnderTest group, int partition)
    {
        var values = group.Handler.Deliveries.Where(d => d.Partition == partition).Select(d => d.Value).ToList();
        List<int> starts = [.. group.Streams[partition].SegmentStarts, values.Count];
        for (int s = 0; s + 1 < starts.Count; s++)
        {
            var last = new long[GroupScenario.KeyCount];
            Array.Fill(last, -1);
            for (int i = starts[s]; i < starts[s + 1]; i++)
            {
                int key = _keyOfValue[(int)values[i]];
                Assert.True(values[i] > last[key], $"{group.Name} p{partition}: key k{key} value {values[i]} after {last[key]}");
                Assert.True(_partitionOfKey[key] == partition, $"key k{key} delivered from p{partition}, published to p{_partitionOfKey[key]}");
                last[key] = values[i];
            }
        }
    }

    private static string Describe(List<long> offsets) => ModelSteps.DescribeRuns(offsets);

    private static void WaitUntil(Func<bool> condition, string what) => ModelSteps.WaitUntil(condition, what, Timeout);


    /// <summary>One consumer group, its shared recording handler and its members in join order.</summary>
    private sealed class GroupUnderTest
    {
        private int _joined;

        public GroupUnderTest(Topic<TestEvent> topic, string name, GroupScenario.GroupSpec spec, GroupScenario scenario)
        {
            Name = name;
            Spec = spec;
            Handler = new RecordingHandler(scenario.Partitions);
            Streams = [.. Enumerable.Range(0, scenario.Partitions).Select(_ => new ExpectedStream(0))];
            Group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = name,
                Assignor = spec.Assignor switch
                {
                    "range" => new RangeAssignor(),
                    "roundrobin" => new RoundRobinAssignor(),
                    _ => new CooperativeStickyAssignor(),
                },
                CommitMode = CommitMode.AfterBatch,
                WaitStrategy = spec.Wait == "blocking" ? WaitStrategy.Blocking : WaitStrategy.SpinThenSleep,
                MaxBatchSize = scenario.MaxBatchSize,
                RebalanceTimeout = Timeout,
            });
        }

        public string Name { get; }

        public GroupScenario.GroupSpec Spec { get; }

        public RecordingHandler Handler { get; }

        public ExpectedStream[] Streams { get; }

        public ConsumerGroup<TestEvent> Group { get; }

        public List<GroupMember<TestEvent>> Members { get; } = [];

        public void JoinOne() => Members.Add(Group.Join(Handler.For($"{Name}-m{_joined++}")));
    }

    /// <summary>
    /// The offsets a group is expected to be handed on one partition, in order: a fixed part (everything before
    /// the last seek) and the current stretch, which runs from the last seek's offset (at first the group's start: 0, or
/// its committed offset when it was created after publishing started) to the position.
    /// </summary>
    private sealed class ExpectedStream(long start)
    {
        private readonly List<long> _fixed = [];
        private long _stretchStart = start;

        /// <summary>Indices in the stream where a stretch begins (0, then one per seek).</summary>
        public List<int> SegmentStarts { get; } = [0];

        public long CountThrough(long position) => _fixed.Count + (position - _stretchStart);

        public List<long> Through(long position)
        {
            Assert.True(position >= _stretchStart, $"position {position} is below the last seek's offset {_stretchStart}");
            var stream = new List<long>(_fixed);
            for (long offset = _stretchStart; offset < position; offset++)
            {
                stream.Add(offset);
            }

            return stream;
        }

        /// <summary>A seek to <paramref name="offset"/> while the group stood at <paramref name="position"/>.</summary>
        public void SeekFrom(long position, long offset)
        {
            List<long> through = Through(position);
            _fixed.Clear();
            _fixed.AddRange(through);
            SegmentStarts.Add(_fixed.Count);
            _stretchStart = offset;
        }
    }
}
