using HotPath.Groups;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Consumers;

/// <summary>
/// What a consumer group reads: its topics and, per partition, the group's state (<see cref="GroupPartition{T}"/>,
/// whose cursor is registered with the partition from construction on). Built once by the group's constructor;
/// <see cref="Close"/> unregisters every cursor.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: immutable after construction; <see cref="Close"/> from the group's Dispose only.</remarks>
internal sealed class GroupSubscription<T>
    where T : struct
{
    private readonly Dictionary<TopicPartition, GroupPartition<T>> _byId = [];
    private readonly Dictionary<string, int> _partitionsPerTopic = new(StringComparer.Ordinal);
    private readonly List<Topic<T>> _claimed = [];
    private readonly List<Topic<T>> _durable = [];
    private readonly string _groupId;
    private int _closed;

    /// <summary>
    /// Takes the group id on every topic of <paramref name="topics"/> (see <see cref="GroupIdRegistry"/>) and registers
    /// the group's cursors on every partition. All or nothing: every argument is checked before the first registration,
    /// and a claim or registration that still throws undoes the ones before it, so that a constructor that fails leaves
    /// no cursor gating a writer and no group id taken.
    /// </summary>
    /// <param name="topics">The topics; the caller checked the list itself (not null, not empty).</param>
    /// <param name="options">The group's validated settings.</param>
    public GroupSubscription(IReadOnlyList<Topic<T>> topics, ConsumerGroupOptions options)
    {
        for (int i = 0; i < topics.Count; i++)
        {
            Topic<T> topic = topics[i];
            if (topic is null)
            {
                ThrowHelper.ArgumentNull(nameof(topics), $"topics[{i}] is null: pass only topics");
            }

            if (!_partitionsPerTopic.TryAdd(topic.Name, topic.PartitionCount))
            {
                ThrowHelper.Argument(nameof(topics), $"{nameof(topics)} must have distinct names, '{topic.Name}' appears twice");
            }
        }

        _groupId = options.GroupId;
        var partitions = new List<GroupPartition<T>>();
        try
        {
            foreach (Topic<T> topic in topics)
            {
                if (!GroupIdRegistry.TryClaim(topic, _groupId))
                {
                    ThrowHelper.Argument(
                        nameof(ConsumerGroupOptions.GroupId),
                        $"options.{nameof(ConsumerGroupOptions.GroupId)} must be unique among the live groups of a topic (one group id is one group, whose members share the partitions): '{_groupId}' already reads topic '{topic.Name}'. Join that group's members instead, or dispose it first");
                }

                _claimed.Add(topic);
            }

            foreach (Topic<T> topic in topics)
            {
                bool durable = topic.Journaller is not null && options.DurableOffsets && !options.Lossy;
                foreach (Partition<T> partition in topic.Partitions)
                {
                    var id = new TopicPartition(topic.Name, partition.Id);
                    var state = new GroupPartition<T>(
                        id, partition, options.AutoOffsetReset, options.Lossy, options.ReadsCommitted, durable ? StoredOffset(topic, partition) : null, options.ReadJournaledOnly)
                    {
                        GroupId = _groupId,
                    };
                    partitions.Add(state);
                    _byId.Add(id, state);
                }

                if (durable)
                {
                    topic.Journaller!.RegisterGroup(_groupId, [.. partitions.Where(p => p.Partition.TopicName == topic.Name)]);
                    _durable.Add(topic);
                }
            }
        }
        catch
        {
            // A claim threw (the group id is taken on a later topic), or a registration did (it throws only on a fault
            // such as running out of memory; a completed or disposed topic is registered like any other, its retained
            // events stay readable): the cursors registered so far must not gate the writers.
            foreach (GroupPartition<T> registered in partitions)
            {
                registered.Cursor.Close();
            }

            UnregisterDurable();
            ReleaseGroupIds();
            throw;
        }

        Partitions = [.. partitions];
        TopicNames = [.. _partitionsPerTopic.Keys];
    }

    /// <summary>Every partition the group reads, in topic then partition order.</summary>
    public GroupPartition<T>[] Partitions { get; }

    /// <summary>The topic names, in subscription order.</summary>
    public string[] TopicNames { get; }

    /// <summary>Partition count per topic name, as the assignors take it.</summary>
    public IReadOnlyDictionary<string, int> PartitionsPerTopic => _partitionsPerTopic;

    /// <summary>Finds a partition's state by id.</summary>
    /// <param name="id">The topic and partition.</param>
    /// <param name="state">The group's state on it.</param>
    /// <returns>False when the group does not read that partition.</returns>
    public bool TryGet(TopicPartition id, out GroupPartition<T>? state) => _byId.TryGetValue(id, out state);

    /// <summary>Unregisters every cursor (the writers stop waiting for the group) and gives the group id back. Idempotent.</summary>
    public void Close()
    {
        // CAS: the first caller closes.
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // The journaller persists the group's last committed offsets before its cursors go.
        UnregisterDurable();
        foreach (GroupPartition<T> partition in Partitions)
        {
            partition.Cursor.Close();
        }

        ReleaseGroupIds();
    }

    /// <summary>
    /// Where the group resumes on a durable partition: its stored committed offset, within what the journal still holds
    /// (a stored offset below the journal's start, whose segments a documented retention deleted, resumes at the start;
    /// one past the end, which the journaller never stores, at the end); null when the group has none (the reset applies).
    /// </summary>
    private long? StoredOffset(Topic<T> topic, Partition<T> partition)
    {
        if (!topic.Journaller!.TryGetStored(_groupId, partition.Id, out long stored))
        {
            return null;
        }

        return Math.Clamp(stored, partition.StartOffset, partition.EndOffset);
    }

    /// <summary>
    /// After a seek of <paramref name="partition"/> to <paramref name="offset"/> was applied: on a topic whose offsets
    /// this group stores, makes the sought offset the stored one even where a transaction stored a larger one.
    /// </summary>
    public void AfterSeek(GroupPartition<T> partition, long offset)
    {
        foreach (Topic<T> topic in _durable)
        {
            if (topic.Name == partition.Id.Topic)
            {
                topic.StoreSoughtOffset(_groupId, partition.Id.Partition, offset);
            }
        }
    }

    private void UnregisterDurable()
    {
        foreach (Topic<T> topic in _durable)
        {
            topic.Journaller!.UnregisterGroup(_groupId);
        }

        _durable.Clear();
    }

    private void ReleaseGroupIds()
    {
        foreach (Topic<T> topic in _claimed)
        {
            GroupIdRegistry.Release(topic, _groupId);
        }

        _claimed.Clear();
    }
}
