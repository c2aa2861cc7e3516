using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;
using Xunit.Sdk;

namespace HotPath.Tests.Durability;

/// <summary>
/// Runs a <see cref="DurableTopicScenario"/> against a real durable topic in a temporary directory while keeping a plain
/// sequential model, and checks the library against it after every operation that settles it.
/// </summary>
/// <remarks>
/// <para>The model: per partition, the list of published values (a value is the event's global publish index, its
/// key and whether an aborted transaction wrote it are kept beside it); per group and partition, the committed offset at the last clean shutdown and the offset the
/// group started at in the current session (the topic's lifetime between two restarts).</para>
/// <para>A session's deliveries of a group on a partition must be exactly the offsets from its start on (without the
/// aborted ones when it reads committed), in order, with the model's values: checked up to the committed offset whenever
/// that stands still (the group has no member, or was drained, or was disposed). A restart disposes the groups (their members commit what they handled), reads their
/// committed offsets, disposes the topic and reopens the directory: the partitions continue at the model's counts, no
/// bytes are cut off, every group's stored offset is exactly its committed one, and a recreated group resumes there;
/// a read-committed reader of each whole partition gets exactly the model's committed events (every committed
/// transaction whole, nothing aborted), and so does a read-uncommitted one (aborted offsets are gaps in the journal); the
/// directory's transaction log exists exactly once a transaction over two or more partitions committed, and such a
/// transaction's events are acknowledged only once its commit record is in the log.</para>
/// <para>No operation blocks forever: a publish never asks for more than the ring can free while a member-less group
/// holds it (a transaction counts its events and the plain ones inside it together: while it is open, read-committed
/// readers and the journaller stop at its first offset), and every wait fails the run after <see cref="Timeout"/>.</para>
/// </remarks>
internal sealed class DurableTopicModelRun : IDisposable
{
    private const string TopicName = "durable-model";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The plain keys, then one key per partition for transactions' events.</summary>
    private const int KeyIndices = DurableTopicScenario.KeyCount + DurableTopicScenario.MaxPartitions;

    private readonly DurableTopicScenario _scenario;
    private readonly TempDirectory _directory = new();
    private readonly List<long>[] _published;
    private readonly List<int> _keyOfValue = [];
    private readonly List<bool> _abortedValue = [];
    private readonly int?[] _partitionOfKey = new int?[KeyIndices];
    private readonly List<GroupUnderTest> _groups = [];
    private readonly TransactionCoordinator _coordinator = new();
    private readonly TransactionalPublisher _publisher;
    private bool _multiPartitionCommitted;
    private long? _lastCommitRecord;
    private Topic<TestEvent> _topic;
    private int _sessions;
    private bool _retentionAwaited;

    public DurableTopicModelRun(DurableTopicScenario scenario)
    {
        _scenario = scenario;
        _published = [.. Enumerable.Range(0, scenario.Partitions).Select(_ => new List<long>())];
        _publisher = _coordinator.CreatePublisher("model");
        _topic = Open();
        Assert.True(_topic.Recovery!.IsNew, "a fresh directory opens as a new topic");
        foreach (DurableTopicScenario.GroupSpec spec in scenario.Groups)
        {
            CreateGroup(spec);
        }
    }

    /// <summary>Applies every operation, then drains every group, restarts once more and checks the end state.</summary>
    public void Execute()
    {
        ModelSteps.Run(_scenario.Ops, Apply, CheckNoOverlap, Finish, () => $" in session {_sessions}");
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

        _publisher.Dispose();
        _coordinator.Dispose();
        _topic.Dispose();
        _directory.Dispose();
    }

    private Topic<TestEvent> Open() => new(new TopicOptions
    {
        Name = TopicName,
        PartitionCount = _scenario.Partitions,
        Capacity = _scenario.Capacity,
        PublishMode = _scenario.Mode,
        Durability = new DurabilityOptions
        {
            Directory = _directory.Path,
            Sync = _scenario.Sync,
            SyncInterval = TimeSpan.FromMilliseconds(2),
            SegmentBytes = DurabilityOptions.MinSegmentBytes,
            MaxBatch = _scenario.MaxBatch,
            RetentionBytes = _scenario.Retention ? DurabilityOptions.MinSegmentBytes : null,
        },
    });

    private void Apply(DurableTopicScenario.Op op)
    {
        switch (op)
        {
            case DurableTopicScenario.Publish publish:
                Publish(publish.Key, publish.Count);
                break;
            case DurableTopicScenario.Transaction transaction:
                Transaction(transaction);
                break;
            case DurableTopicScenario.Join join:
                GroupOf(join.Group).JoinOne();
                break;
            case DurableTopicScenario.Leave leave:
                Leave(GroupOf(leave.Group), leave.Member);
                break;
            case DurableTopicScenario.WaitForDrain drain:
                Drain(GroupOf(drain.Group));
                break;
            case DurableTopicScenario.Restart:
                Restart();
                break;
            case DurableTopicScenario.CreateGroup create:
                if (_groups.Count < DurableTopicScenario.MaxGroups)
                {
                    CreateGroup(create.Spec);
                }

                break;
            case DurableTopicScenario.AwaitRetention:
                AwaitRetention();
                break;
            default:
                throw new InvalidOperationException($"unknown operation {op}");
        }
    }

    private GroupUnderTest GroupOf(int index) => _groups[index % _groups.Count];

    /// <summary>
    /// A brand-new group: it starts at the journal's start on every partition (0 without retention), between the start
    /// offsets read before and after its creation (retention may move the start meanwhile).
    /// </summary>
    private void CreateGroup(DurableTopicScenario.GroupSpec spec)
    {
        var group = new GroupUnderTest($"g{_groups.Count}", spec, _scenario.Partitions);
        long[] before = [.. _topic.Partitions.Select(p => p.StartOffset)];
        group.Open(_topic, _scenario);
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            long start = group.Group.GetCommittedOffset(TopicName, p);
            long after = _topic[p].StartOffset;
            Assert.True(
                start >= before[p] && start <= Math.Max(before[p], after),
                $"{group.Name} created at p{p} offset {start}, not the journal's start ({before[p]} before, {after} after)");
            if (!_scenario.Retention)
            {
                Assert.Equal(0, start);
            }

            group.Start[p] = start;
            group.Committed[p] = start;
        }

        _groups.Add(group);
        for (int m = 0; m < spec.InitialMembers; m++)
        {
            group.JoinOne();
        }
    }

    private void Publish(int key, int count)
    {
        int partition = PartitionOfKey(key);
        long limit = Math.Min(count, Room(partition));
        for (long i = 0; i < limit; i++)
        {
            PublishPlain(key, partition);
        }
    }

    /// <summary>
    /// One transaction (see <see cref="DurableTopicScenario.Transaction"/>), begun and ended here so that it never stays
    /// open across operations. Its events and the plain ones inside it fit the room of each partition together: while it
    /// is open, read-committed readers and the journaller stop at its first offset there.
    /// </summary>
    private void Transaction(DurableTopicScenario.Transaction transaction)
    {
        int partitions = _scenario.Partitions;
        long[] room = [.. Enumerable.Range(0, partitions).Select(Room)];
        var targets = new List<int>();
        for (int i = 0; i < transaction.Count; i++)
        {
            int partition = (transaction.First + i) % partitions;
            if (room[partition] > 0)
            {
                room[partition]--;
                targets.Add(partition);
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        int plainPartition = PartitionOfKey(transaction.Key);
        long plain = Math.Min(transaction.Interleaved, room[plainPartition]);
        using var cancel = new CancellationTokenSource(Timeout);
        var results = new List<PublishResult>(targets.Count);
        _publisher.Begin();
        for (int i = 0; i < targets.Count; i++)
        {
            if (i == targets.Count / 2)
            {
                for (long j = 0; j < plain; j++)
                {
                    PublishPlain(transaction.Key, plainPartition);
                }
            }

            int partition = targets[i];
            int key = DurableTopicScenario.KeyCount + partition;
            _partitionOfKey[key] = partition;
            var @event = new TestEvent(_keyOfValue.Count, key);
            // Bounded by the room above; the token turns a wait that should not happen into a failure.
            PublishResult result = _publisher.PublishTo(_topic, partition, in @event, cancel.Token);
            Assert.Equal(partition, result.Partition);
            Assert.Equal(_published[partition].Count, result.Offset);
            results.Add(result);
            _published[partition].Add(@event.Value);
            _keyOfValue.Add(key);
            _abortedValue.Add(transaction.Abort);
        }

        if (transaction.Abort)
        {
            _publisher.Abort();
        }
        else
        {
            _publisher.Commit();
            if (targets.Distinct().Count() >= 2)
            {
                _multiPartitionCommitted = true;
                CheckCommitRecord(results);
            }
        }

        CheckTransactionLog();
    }

    /// <summary>
    /// A committed transaction over two or more partitions is acknowledged only after its commit record is in the
    /// transaction log (so it is whole after any crash): once every event of it is acknowledged, the log's newest record
    /// is a new one, over exactly its partitions.
    /// </summary>
    private void CheckCommitRecord(List<PublishResult> results)
    {
        foreach (PublishResult result in results)
        {
            Assert.True(_topic.WaitAcknowledged(result, Timeout), $"p{result.Partition} offset {result.Offset} of a committed transaction not acknowledged");
        }

        var scan = new TransactionLogScan(Path.Combine(_directory.Path, TransactionLog.DirectoryName, TransactionLog.FileName));
        TopicPart[] expected = [.. results.Select(r => r.Partition).Distinct().Order().Select(p => new TopicPart(TopicName, p))];
        Assert.True(scan.Records.Count > 0, "a committed transaction over two or more partitions was acknowledged before any commit record");
        TransactionRecord newest = scan.Records[^1];
        Assert.True(
            newest.Transaction != _lastCommitRecord && newest.Parts.OrderBy(p => p.Partition).SequenceEqual(expected),
            $"a committed transaction over {string.Join(", ", expected)} was acknowledged before its commit record (newest record {newest.Transaction} over {string.Join(", ", newest.Parts)})");
        _lastCommitRecord = newest.Transaction;
    }

    /// <summary>The directory's transaction log exists exactly once a transaction over two or more partitions committed.</summary>
    private void CheckTransactionLog() =>
        Assert.True(
            TransactionLog.ExistsUnder(_directory.Path) == _multiPartitionCommitted,
            _multiPartitionCommitted
                ? "a transaction over two or more partitions committed, yet the directory has no transaction log"
                : "no transaction over two or more partitions committed, yet the directory has a transaction log");

    /// <summary>The partition of a plain key (checked to stay the same for the whole run).</summary>
    private int PartitionOfKey(int key)
    {
        int partition = _topic.PartitionFor($"k{key}");
        if (_partitionOfKey[key] is int known)
        {
            Assert.True(known == partition, $"key k{key} moved from partition {known} to {partition}");
        }

        _partitionOfKey[key] = partition;
        return partition;
    }

    /// <summary>
    /// How many events the partition takes without blocking: a group without members holds every event it has not
    /// committed (after a restart it may hold more than a ring's worth, all in the journal: then nothing fits).
    /// </summary>
    private long Room(int partition)
    {
        long room = _scenario.Capacity;
        foreach (GroupUnderTest group in _groups.Where(g => g.Members.Count == 0))
        {
            long held = _published[partition].Count - SettledPosition(group, partition);
            room = Math.Min(room, _scenario.Capacity - held);
        }

        return Math.Max(0, room);
    }

    /// <summary>One plain event with key <c>k{key}</c>, into its partition.</summary>
    private void PublishPlain(int key, int partition)
    {
        List<long> log = _published[partition];
        var @event = new TestEvent(_keyOfValue.Count, key);
        PublishResult result = default;
        // Members (and the journaller) free the ring concurrently; a bounded wait for room, never Publish.
        WaitUntil(() => _topic.TryPublish($"k{key}", in @event, out result), $"room to publish into partition {partition}");
        Assert.Equal(partition, result.Partition);
        Assert.Equal(log.Count, result.Offset);
        log.Add(@event.Value);
        _keyOfValue.Add(key);
        _abortedValue.Add(false);
    }

    private void Leave(GroupUnderTest group, int index)
    {
        if (group.Members.Count == 0)
        {
            return;
        }

        GroupMember<TestEvent> member = group.Members[index % group.Members.Count];
        member.Leave();
        group.Members.Remove(member);
        Assert.NotEqual(MemberState.Failed, member.State);
        if (group.Members.Count == 0)
        {
            // The last member committed exactly what it handled on every partition.
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                SettledPosition(group, p);
            }
        }
    }

    /// <summary>With members: waits until the group committed everything, then checks every stream. Without: checks the streams so far.</summary>
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

        WaitUntil(
            () => Enumerable.Range(0, _scenario.Partitions).All(p => group.Group.GetCommittedOffset(TopicName, p) == _published[p].Count),
            $"{group.Name} to drain (committed {string.Join(", ", Enumerable.Range(0, _scenario.Partitions).Select(p => $"p{p}={group.Group.GetCommittedOffset(TopicName, p)}/{_published[p].Count}"))})");
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            CheckDelivered(group, p, _published[p].Count);
        }
    }

    /// <summary>
    /// A clean restart: disposes every group (members commit what they handled) and the topic, reopens the directory and
    /// recreates the groups with as many members as they had. Checks the recovery against the model.
    /// </summary>
    private void Restart()
    {
        foreach (GroupUnderTest group in _groups)
        {
            group.Group.Dispose();
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                // Disposed: nothing moves it any more.
                long committed = group.Group.GetCommittedOffset(TopicName, p);
                CheckDelivered(group, p, committed);
                group.Committed[p] = committed;
            }
        }

        _topic.Dispose();
        _sessions++;
        _topic = Open();
        TopicRecovery recovery = _topic.Recovery!;
        Assert.False(recovery.IsNew);
        Assert.True(recovery.TruncatedBytes == 0, $"a clean shutdown left a torn tail: {recovery}");
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            Assert.True(_published[p].Count == _topic[p].EndOffset, $"p{p} reopened at end {_topic[p].EndOffset}, the model published {_published[p].Count}");
            Assert.Equal(_published[p].Count, recovery.Partitions[p].EndOffset);
            long needed = _groups.Count == 0 ? _published[p].Count : _groups.Min(g => g.Committed[p]);
            Assert.True(
                recovery.Partitions[p].StartOffset <= needed,
                $"p{p}: retention deleted offsets a group still needs (journal start {recovery.Partitions[p].StartOffset}, lowest committed {needed})");
            CheckWholePartition(p, IsolationLevel.ReadCommitted);
            CheckWholePartition(p, IsolationLevel.ReadUncommitted);
        }

        CheckTransactionLog();

        foreach (GroupUnderTest group in _groups)
        {
            int members = group.Members.Count;
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                Assert.True(
                    recovery.GroupOffsets.TryGetValue((group.Name, p), out long stored) && stored == group.Committed[p],
                    $"{group.Name} p{p}: committed {group.Committed[p]} at the clean shutdown, stored {(recovery.GroupOffsets.ContainsKey((group.Name, p)) ? stored : "nothing")}");
            }

            group.Open(_topic, _scenario);
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                long resumed = group.Group.GetCommittedOffset(TopicName, p);
                Assert.True(resumed == group.Committed[p], $"{group.Name} p{p} resumed at {resumed}, committed {group.Committed[p]} before the restart");
                group.Start[p] = resumed;
            }

            for (int m = 0; m < members; m++)
            {
                group.JoinOne();
            }
        }
    }

    /// <summary>
    /// After a restart, a reader of the whole partition (from the journal's start) gets exactly the model's committed
    /// events at either isolation: every committed transaction whole; an aborted one's offsets read as gaps (the journal
    /// holds only decided events, so not even a read-uncommitted reader gets them back).
    /// </summary>
    private void CheckWholePartition(int partition, IsolationLevel isolation)
    {
        List<long> log = _published[partition];
        long start = _topic[partition].StartOffset;
        var expected = new List<long>();
        for (long offset = start; offset < log.Count; offset++)
        {
            if (!_abortedValue[(int)log[(int)offset]])
            {
                expected.Add(offset);
            }
        }

        // The end offset is the model's count (checked by the restart before this).
        var read = new List<long>();
        foreach ((long offset, TestEvent @event) in PartitionReads.ReadToEnd(_topic, partition, isolation, Timeout, $"p{partition} after restart {_sessions}"))
        {
            Assert.True(@event.Value == log[(int)offset], $"p{partition} offset {offset} read back {@event.Value} ({isolation}), the model published {log[(int)offset]}");
            read.Add(offset);
        }

        Assert.True(
            read.SequenceEqual(expected),
            $"p{partition} after restart {_sessions}, {isolation}: expected offsets {Describe(expected)} (aborted ones are gaps), read {Describe(read)}");
    }

    /// <summary>
    /// Waits past the journaller's retention check (once per run, to keep runs short); the journal's start never passes a
    /// group's committed offset.
    /// </summary>
    private void AwaitRetention()
    {
        if (_retentionAwaited)
        {
            return;
        }

        _retentionAwaited = true;
        Thread.Sleep(1100);
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            long start = _topic[p].StartOffset;
            foreach (GroupUnderTest group in _groups)
            {
                // Read after the start: a committed offset only grows.
                long committed = group.Group.GetCommittedOffset(TopicName, p);
                Assert.True(start <= committed, $"p{p}: retention moved the start to {start}, past {group.Name}'s committed offset {committed}");
            }
        }
    }

    /// <summary>The committed offset of a member-less group (it cannot move), after checking the deliveries up to it.</summary>
    private long SettledPosition(GroupUnderTest group, int partition)
    {
        Debug.Assert(group.Members.Count == 0, "only a member-less group stands still");
        long committed = group.Group.GetCommittedOffset(TopicName, partition);
        CheckDelivered(group, partition, committed);
        return committed;
    }

    /// <summary>
    /// This session's deliveries of the group on a partition are exactly the offsets from its start up to
    /// <paramref name="position"/>, in order, each with the model's value; and per key, values only grow. A read-committed
    /// group never gets an aborted transaction's events; a read-uncommitted one gets those still in the ring (as in Kafka)
    /// but not those it reads back from the journal (gaps there), so for it each aborted offset may be missing.
    /// </summary>
    private void CheckDelivered(GroupUnderTest group, int partition, long position)
    {
        long start = group.Start[partition];
        Assert.True(
            position >= start && position <= _published[partition].Count,
            $"{group.Name} p{partition}: committed {position} outside [{start}, {_published[partition].Count}]");
        var delivered = group.Handler.Deliveries.Where(d => d.Partition == partition).ToList();
        var offsets = delivered.Select(d => d.Offset).ToList();
        List<long> log = _published[partition];
        bool Aborted(long offset) => _abortedValue[(int)log[(int)offset]];
        var expected = Enumerable.Range(0, (int)(position - start)).Select(i => start + i)
            .Where(o => !group.Spec.ReadCommitted || !Aborted(o)).ToList();
        // Read-uncommitted: the delivered offsets, plus the aborted ones it did not get, must be the expected ones.
        var compared = group.Spec.ReadCommitted
            ? offsets
            : [.. offsets.Concat(expected.Where(o => Aborted(o) && !offsets.Contains(o))).Order()];
        Assert.True(
            offsets.SequenceEqual(offsets.Order()) && compared.SequenceEqual(expected),
            $"{group.Name} p{partition} session {_sessions} ({(group.Spec.ReadCommitted ? "read-committed" : "read-uncommitted")}): "
            + $"expected offsets {Describe(expected)}{(group.Spec.ReadCommitted ? "" : " (aborted ones optional)")}, delivered {Describe(offsets)}");
        var lastOfKey = new long[KeyIndices];
        Array.Fill(lastOfKey, -1);
        foreach ((_, _, long offset, long value) in delivered)
        {
            long expectedValue = _published[partition][(int)offset];
            Assert.True(value == expectedValue, $"{group.Name} p{partition} offset {offset}: value {value}, the model published {expectedValue}");
            int key = _keyOfValue[(int)value];
            Assert.True(_partitionOfKey[key] == partition, $"key k{key} delivered from p{partition}, published to p{_partitionOfKey[key]}");
            Assert.True(value > lastOfKey[key], $"{group.Name} p{partition}: key k{key} value {value} after {lastOfKey[key]}");
            lastOfKey[key] = value;
        }
    }

    /// <summary>Every group drains with at least one member, then a last clean restart keeps everything.</summary>
    private void Finish()
    {
        foreach (GroupUnderTest group in _groups)
        {
            if (group.Members.Count == 0)
            {
                group.JoinOne();
            }

            Drain(group);
        }

        Restart();
        foreach (GroupUnderTest group in _groups)
        {
            for (int p = 0; p < _scenario.Partitions; p++)
            {
                Assert.Equal(_published[p].Count, group.Committed[p]);
            }
        }
    }

    private static string Describe(List<long> offsets) => ModelSteps.DescribeRuns(offsets);

    private static void WaitUntil(Func<bool> condition, string what) => ModelSteps.WaitUntil(condition, what, Timeout);


    /// <summary>One durable group across sessions: its model state, and this session's group, handler and members.</summary>
    private sealed class GroupUnderTest(string name, DurableTopicScenario.GroupSpec spec, int partitions)
    {
        private int _joined;

        public string Name { get; } = name;

        public DurableTopicScenario.GroupSpec Spec { get; } = spec;

        /// <summary>Per partition, the committed offset at the last clean shutdown (or at creation).</summary>
        public long[] Committed { get; } = new long[partitions];

        /// <summary>Per partition, where the group started in this session.</summary>
        public long[] Start { get; } = new long[partitions];

        public RecordingHandler Handler { get; private set; } = null!;

        public ConsumerGroup<TestEvent> Group { get; private set; } = null!;

        public List<GroupMember<TestEvent>> Members { get; } = [];

        /// <summary>Creates this session's group (no member yet) with a fresh handler.</summary>
        public void Open(Topic<TestEvent> topic, DurableTopicScenario scenario)
        {
            Members.Clear();
            Handler = new RecordingHandler(scenario.Partitions);
            Group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = Name,
                CommitMode = CommitMode.AfterBatch,
                WaitStrategy = WaitStrategy.Blocking,
                MaxBatchSize = scenario.MaxBatchSize,
                RebalanceTimeout = Timeout,
                ReadJournaledOnly = Spec.JournaledOnly,
                Isolation = Spec.ReadCommitted ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted,
            });
        }

        public void JoinOne() => Members.Add(Group.Join(Handler.For($"{Name}-m{_joined++}")));
    }
}
