using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Sdk;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>
/// Runs a <see cref="PullScenario"/> against the real library on the calling thread (the callers of every pull consumer)
/// while keeping a plain sequential model, and checks every consumed event and every committed offset against it.
/// </summary>
/// <remarks>
/// <para>The model, per partition: the events published, <c>next</c> (the offset the partition's next consumed event must
/// have), <c>committed</c> (the group's committed offset, exactly) and its owner (read from the consumers' assignments
/// after each rebalance, checked to give each partition to one consumer). Per consumer: the partition of its last take
/// while an auto-commit of it is pending (the next call commits it).</para>
/// <para>Rules: a take must be the owner's partition's <c>next</c> event (per-partition order, nothing skipped, nothing
/// twice). A partition revoked in good order commits <c>next</c> with auto-commit, and with manual commits restarts at
/// <c>committed</c> (the consumed-but-not-committed events come again: the at-least-once window); a fenced consumer's
/// partitions restart at <c>committed</c> in both modes. Eager protocols revoke every owned partition at each
/// rebalance, cooperative ones only those that move. So the stream of each partition is exactly the model's, duplicates
/// only where the model allows them; at the end every published event was consumed and everything is committed.</para>
/// </remarks>
internal sealed class PullModelRun : IDisposable
{
    private const int Capacity = 64;
    private const string TopicName = "pull-model";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly PullScenario _scenario;
    private readonly Topic<TestEvent> _topic;
    private readonly ConsumerGroup<TestEvent> _group;
    private readonly List<GroupConsumer<TestEvent>> _consumers = [];
    private readonly Dictionary<GroupConsumer<TestEvent>, int?> _pending = [];
    private readonly long[] _published;
    private readonly long[] _next;
    private readonly long[] _committed;
    private GroupConsumer<TestEvent>?[] _owners;
    private int _joined;

    public PullModelRun(PullScenario scenario)
    {
        _scenario = scenario;
        _topic = new Topic<TestEvent>(new TopicOptions { Name = TopicName, PartitionCount = scenario.Partitions, Capacity = Capacity, PublishMode = PublishMode.MultiWriter });
        IPartitionAssignor assignor = scenario.Assignor switch
        {
            "range" => new RangeAssignor(),
            "roundrobin" => new RoundRobinAssignor(),
            _ => new CooperativeStickyAssignor(),
        };
        _group = new ConsumerGroup<TestEvent>(_topic, new ConsumerGroupOptions
        {
            GroupId = "model",
            Assignor = assignor,
            CommitMode = scenario.Mode,
            MaxBatchSize = scenario.MaxBatchSize,
        });
        _published = new long[scenario.Partitions];
        _next = new long[scenario.Partitions];
        _committed = new long[scenario.Partitions];
        _owners = new GroupConsumer<TestEvent>?[scenario.Partitions];
    }

    private bool Eager => _group.Options.EffectiveProtocol == RebalanceProtocol.Eager;

    private bool AutoCommit => _scenario.Mode == CommitMode.AfterBatch;

    public void Execute() => ModelSteps.Run(_scenario.Ops, Apply, CheckCommitted, Finish, () => string.Empty);

    public void Dispose()
    {
        foreach (GroupConsumer<TestEvent> consumer in _consumers)
        {
            consumer.Dispose();
        }

        _group.Dispose();
        _topic.Dispose();
    }

    private void Apply(PullScenario.Op op)
    {
        switch (op)
        {
            case PullScenario.Publish publish:
                Publish(publish.Partition % _scenario.Partitions, publish.Count);
                break;
            case PullScenario.Join join:
                GroupConsumer<TestEvent> joined = _group.JoinConsumer($"c{_joined++}", prefetch: join.Prefetch);
                _consumers.Add(joined);
                _pending[joined] = null;
                AfterRebalance(fenced: null);
                break;
            case PullScenario.Leave leave when _consumers.Count != 0:
                GroupConsumer<TestEvent> leaving = _consumers[leave.Consumer % _consumers.Count];
                _consumers.Remove(leaving);
                leaving.Dispose();
                Assert.Equal(MemberState.Stopped, leaving.State);
                AfterRebalance(fenced: null, departed: leaving);
                break;
            case PullScenario.Consume consume when _consumers.Count != 0:
                Consume(_consumers[consume.Consumer % _consumers.Count], consume.Count);
                break;
            case PullScenario.Commit when _consumers.Count == 0:
                break;
            case PullScenario.Commit commit:
                GroupConsumer<TestEvent> committing = _consumers[commit.Consumer % _consumers.Count];
                committing.Commit();
                _pending[committing] = null;
                ForEachOwned(committing, p => _committed[p] = _next[p]);
                break;
            case PullScenario.Fence fence when _consumers.Count != 0:
                GroupConsumer<TestEvent> fenced = _consumers[fence.Consumer % _consumers.Count];
                _consumers.Remove(fenced);
                _group.TestFence(fenced.Member);
                Assert.Equal(MemberState.Failed, fenced.State);
                Assert.Throws<InvalidOperationException>(() => fenced.Consume(TimeSpan.Zero));
                AfterRebalance(fenced, departed: fenced);
                fenced.Dispose();
                break;
            default:
                // An operation on a consumer of an empty group does nothing.
                break;
        }
    }

    private void Publish(int partition, int count)
    {
        // The group holds every event it has not committed: publish only what the ring can take without blocking this
        // thread, which is also every consumer's caller.
        long room = Capacity - (_published[partition] - _committed[partition]);
        for (long i = 0; i < Math.Min(count, room); i++)
        {
            long offset = _topic.PublishTo(partition, new TestEvent(ValueOf(partition, _published[partition]))).Offset;
            Assert.Equal(_published[partition], offset);
            _published[partition]++;
        }
    }

    private void Consume(GroupConsumer<TestEvent> consumer, int count)
    {
        long available = 0;
        ForEachOwned(consumer, p => available += _published[p] - _next[p]);
        for (long i = 0; i < Math.Min(count, available); i++)
        {
            BeforeCall(consumer);
            if (consumer.Consume(Timeout) is not { } result)
            {
                throw new XunitException($"{consumer.MemberId}: event {i} of the {available} available did not come within {Timeout.TotalSeconds} s");
            }

            int p = result.Partition;
            Assert.True(ReferenceEquals(_owners[p], consumer), $"{consumer.MemberId} got {result} of a partition owned by {_owners[p]?.MemberId ?? "nobody"}");
            Assert.True(result.Offset == _next[p], $"{consumer.MemberId} got {result}, the model expected offset {_next[p]}");
            Assert.Equal(ValueOf(p, result.Offset), result.Event.Value);
            _next[p]++;
            _pending[consumer] = AutoCommit ? p : null;
        }

        if (count > available)
        {
            BeforeCall(consumer);
            ConsumeResult<TestEvent>? extra = consumer.Consume(TimeSpan.FromMilliseconds(20));
            Assert.True(extra is null, $"{consumer.MemberId} got {extra} beyond what the model holds available");
        }
    }

    /// <summary>Each call first commits the take of the call before it (auto-commit).</summary>
    private void BeforeCall(GroupConsumer<TestEvent> consumer)
    {
        if (_pending[consumer] is int p)
        {
            _committed[p] = _next[p];
            _pending[consumer] = null;
        }
    }

    /// <summary>
    /// After a join, leave or fence: reads the new owners, checks them, and applies the revocations (see the remarks).
    /// </summary>
    private void AfterRebalance(GroupConsumer<TestEvent>? fenced, GroupConsumer<TestEvent>? departed = null)
    {
        GroupConsumer<TestEvent>?[] before = _owners;
        var after = new GroupConsumer<TestEvent>?[_scenario.Partitions];
        foreach (GroupConsumer<TestEvent> consumer in _consumers)
        {
            foreach (TopicPartition owned in consumer.Assignment)
            {
                Assert.True(after[owned.Partition] is null, $"{owned} owned by {after[owned.Partition]?.MemberId} and {consumer.MemberId}");
                after[owned.Partition] = consumer;
            }
        }

        if (_consumers.Count != 0)
        {
            Assert.All(after, owner => Assert.NotNull(owner));
        }

        if (departed is not null)
        {
            Assert.Empty(departed.Assignment);
        }

        for (int p = 0; p < _scenario.Partitions; p++)
        {
            GroupConsumer<TestEvent>? owner = before[p];
            if (owner is null || (!Eager && ReferenceEquals(owner, after[p]) && !ReferenceEquals(owner, fenced)))
            {
                continue;
            }

            if (_pending[owner] == p)
            {
                _pending[owner] = null;
            }

            if (AutoCommit && !ReferenceEquals(owner, fenced))
            {
                // Revoked in good order: what was consumed is committed.
                _committed[p] = _next[p];
            }
            else
            {
                // Manual commits, or lost by a fenced consumer: the next owner resumes at the committed offset.
                _next[p] = _committed[p];
            }
        }

        _owners = after;
    }

    private void CheckCommitted()
    {
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            long real = _group.GetCommittedOffset(TopicName, p);
            Assert.True(real == _committed[p], $"p{p}: committed {real}, the model expected {_committed[p]} (next {_next[p]}, published {_published[p]})");
        }
    }

    private void Finish()
    {
        if (_consumers.Count == 0)
        {
            Apply(new PullScenario.Join(GroupConsumer<TestEvent>.DefaultPrefetch));
        }

        foreach (GroupConsumer<TestEvent> consumer in _consumers)
        {
            Consume(consumer, int.MaxValue);
            if (!AutoCommit)
            {
                Apply(new PullScenario.Commit(_consumers.IndexOf(consumer)));
            }
        }

        for (int p = 0; p < _scenario.Partitions; p++)
        {
            Assert.Equal(_published[p], _next[p]);
            Assert.Equal(_published[p], _committed[p]);
        }

        CheckCommitted();
    }

    private void ForEachOwned(GroupConsumer<TestEvent> consumer, Action<int> action)
    {
        for (int p = 0; p < _scenario.Partitions; p++)
        {
            if (ReferenceEquals(_owners[p], consumer))
            {
                action(p);
            }
        }
    }

    private static long ValueOf(int partition, long offset) => (partition * 1000L) + offset;
}
