namespace HotPath.Groups;

/// <summary>
/// Port of Kafka's <c>AbstractStickyAssignor.generalAssign</c>, used when members subscribe to different topics.
/// </summary>
/// <remarks>
/// Steps, as in Kafka:
/// <list type="number">
/// <item>keep every valid owned partition whose topic the owner still subscribes to (dropping one the owner no longer
/// subscribes to means a revocation is required);</item>
/// <item>give each unassigned partition (topics with the fewest potential members first) to the member holding the
/// fewest partitions among those subscribed to it;</item>
/// <item>while the assignment is not balanced, move partitions from members holding two or more than a potential
/// member to the least loaded one (back to their previous-generation owner first), undoing earlier moves where
/// possible; keep the result only if it is more balanced than before (unless this is the first assignment).</item>
/// </list>
/// Topics with a single potential member, and members that can get nothing else, are left out of balancing.
/// Thread-safety: single-use, one thread.
/// </remarks>
internal sealed class GeneralStickyAssignment
{
    private readonly PartitionMovements _partitionMovements = new();
    private readonly Dictionary<string, List<TopicPartition>> _currentAssignment = new(StringComparer.Ordinal);
    private readonly Dictionary<TopicPartition, string> _currentPartitionConsumer = new();
    private readonly Dictionary<TopicPartition, (string Consumer, int Generation)> _prevAssignment = new();
    private readonly Dictionary<string, List<string>> _topic2AllPotentialConsumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _consumer2AllPotentialTopics = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _sortedCurrentSubscriptions;
    private Dictionary<string, int> _partitionsPerTopic = new(StringComparer.Ordinal);

    /// <summary>Creates the single-use state.</summary>
    public GeneralStickyAssignment()
    {
        _sortedCurrentSubscriptions = new SortedSet<string>(Comparer<string>.Create(CompareBySize));
    }

    /// <summary>Runs the assignment.</summary>
    public Dictionary<string, List<TopicPartition>> Assign(AssignmentRequest request, StickyOwnership ownership)
    {
        _partitionsPerTopic = request.PartitionsPerTopic;
        foreach (string consumer in ownership.MembersInMapOrder)
        {
            _currentAssignment.Add(consumer, new List<TopicPartition>(ownership.OwnedByMember[consumer]));
        }

        PrepopulatePrevAssignment(request, ownership);

        foreach (string topic in _partitionsPerTopic.Keys)
        {
            _topic2AllPotentialConsumers.Add(topic, new List<string>());
        }

        foreach (string consumer in ownership.MembersInMapOrder)
        {
            var potentialTopics = new List<string>();
            _consumer2AllPotentialTopics.Add(consumer, potentialTopics);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string topic in request.Subscriptions[consumer].Topics)
            {
                if (seen.Add(topic) && _topic2AllPotentialConsumers.TryGetValue(topic, out List<string>? consumers))
                {
                    potentialTopics.Add(topic);
                    consumers.Add(consumer);
                }
            }
        }

        foreach (KeyValuePair<string, List<TopicPartition>> entry in _currentAssignment)
        {
            foreach (TopicPartition partition in entry.Value)
            {
                _currentPartitionConsumer[partition] = entry.Key;
            }
        }

        int totalPartitionCount = 0;
        foreach (int count in _partitionsPerTopic.Values)
        {
            totalPartitionCount += count;
        }

        var sortedAllTopics = new List<string>(_topic2AllPotentialConsumers.Keys);
        sortedAllTopics.Sort((a, b) =>
        {
            int bySize = _topic2AllPotentialConsumers[a].Count.CompareTo(_topic2AllPotentialConsumers[b].Count);
            return bySize != 0 ? bySize : string.CompareOrdinal(a, b);
        });
        var sortedAllPartitions = new List<TopicPartition>(totalPartitionCount);
        foreach (string topic in sortedAllTopics)
        {
            for (int p = 0; p < _partitionsPerTopic[topic]; p++)
            {
                sortedAllPartitions.Add(new TopicPartition(topic, p));
            }
        }

        var assignedPartitions = new HashSet<TopicPartition>();
        bool revocationRequired = false;
        foreach (KeyValuePair<string, List<TopicPartition>> entry in _currentAssignment)
        {
            HashSet<string> subscribed = request.TopicsByMember[entry.Key];
            entry.Value.RemoveAll(partition =>
            {
                if (!subscribed.Contains(partition.Topic))
                {
                    // The owner left this topic: the partition must be revoked (Kafka leaves its owner entry in place).
                    revocationRequired = true;
                    return true;
                }

                assignedPartitions.Add(partition);
                return false;
            });
        }

        var unassignedPartitions = sortedAllPartitions.FindAll(partition => !assignedPartitions.Contains(partition));

        foreach (string consumer in _currentAssignment.Keys)
        {
            _sortedCurrentSubscriptions.Add(consumer);
        }

        Balance(sortedAllPartitions, unassignedPartitions, revocationRequired);
        return _currentAssignment;
    }

    private int CompareBySize(string? a, string? b)
    {
        int bySize = _currentAssignment[a!].Count.CompareTo(_currentAssignment[b!].Count);
        return bySize != 0 ? bySize : string.CompareOrdinal(a, b);
    }

    private void PrepopulatePrevAssignment(AssignmentRequest request, StickyOwnership ownership)
    {
        // Owners from older generations are remembered: a partition goes back to them when that helps balance.
        foreach (string consumer in ownership.MembersInMapOrder)
        {
            Subscription subscription = request.Subscriptions[consumer];
            if (subscription.Generation >= ownership.MaxGeneration || subscription.OwnedPartitions is null)
            {
                continue;
            }

            foreach (TopicPartition partition in subscription.OwnedPartitions)
            {
                if (!_prevAssignment.TryGetValue(partition, out var previous) || subscription.Generation > previous.Generation)
                {
                    _prevAssignment[partition] = (consumer, subscription.Generation);
                }
            }
        }
    }

    private void Balance(
        List<TopicPartition> sortedPartitions,
        List<TopicPartition> unassignedPartitions,
        bool revocationRequired)
    {
        bool initializing = _sortedCurrentSubscriptions.Count == 0
            || _currentAssignment[_sortedCurrentSubscriptions.Max!].Count == 0;

        foreach (TopicPartition partition in unassignedPartitions)
        {
            if (_topic2AllPotentialConsumers[partition.Topic].Count == 0)
            {
                continue;
            }

            AssignPartition(partition);
        }

        // Narrow the reassignment scope to partitions and consumers that can actually move.
        sortedPartitions.RemoveAll(partition => !CanTopicParticipate(partition.Topic));
        unassignedPartitions.RemoveAll(partition => !CanTopicParticipate(partition.Topic));

        var fixedAssignments = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        foreach (string consumer in _consumer2AllPotentialTopics.Keys)
        {
            if (!CanConsumerParticipate(consumer))
            {
                _sortedCurrentSubscriptions.Remove(consumer);
                fixedAssignments.Add(consumer, _currentAssignment[consumer]);
                _currentAssignment.Remove(consumer);
            }
        }

        Dictionary<string, List<TopicPartition>> preBalanceAssignment = DeepCopy(_currentAssignment);
        var preBalancePartitionConsumers = new Dictionary<TopicPartition, string>(_currentPartitionConsumer);

        // Without a forced revocation, first try to balance by moving only the newly assigned partitions.
        if (!revocationRequired)
        {
            PerformReassignments(unassignedPartitions);
        }

        bool reassignmentPerformed = PerformReassignments(sortedPartitions);

        if (!initializing && reassignmentPerformed && BalanceScore(_currentAssignment) >= BalanceScore(preBalanceAssignment))
        {
            _currentAssignment.Clear();
            foreach (KeyValuePair<string, List<TopicPartition>> entry in preBalanceAssignment)
            {
                _currentAssignment.Add(entry.Key, entry.Value);
            }

            _currentPartitionConsumer.Clear();
            foreach (KeyValuePair<TopicPartition, string> entry in preBalancePartitionConsumers)
            {
                _currentPartitionConsumer.Add(entry.Key, entry.Value);
            }
        }

        foreach (KeyValuePair<string, List<TopicPartition>> entry in fixedAssignments)
        {
            _currentAssignment[entry.Key] = entry.Value;
        }
    }

    private void AssignPartition(TopicPartition partition)
    {
        string? target = null;
        foreach (string consumer in _sortedCurrentSubscriptions)
        {
            if (_consumer2AllPotentialTopics[consumer].Contains(partition.Topic))
            {
                target = consumer;
                break;
            }
        }

        if (target is null)
        {
            return;
        }

        _sortedCurrentSubscriptions.Remove(target);
        _currentAssignment[target].Add(partition);
        _currentPartitionConsumer[partition] = target;
        _sortedCurrentSubscriptions.Add(target);
    }

    private bool CanTopicParticipate(string topic) => _topic2AllPotentialConsumers[topic].Count >= 2;

    private bool CanConsumerParticipate(string consumer)
    {
        List<TopicPartition> current = _currentAssignment[consumer];
        if (current.Count < MaxAssignmentSize(consumer))
        {
            return true;
        }

        foreach (TopicPartition partition in current)
        {
            if (CanTopicParticipate(partition.Topic))
            {
                return true;
            }
        }

        return false;
    }

    private int MaxAssignmentSize(string consumer)
    {
        int size = 0;
        foreach (string topic in _consumer2AllPotentialTopics[consumer])
        {
            size += _partitionsPerTopic[topic];
        }

        return size;
    }

    private bool IsBalanced()
    {
        if (_sortedCurrentSubscriptions.Count == 0)
        {
            return true;
        }

        int min = _currentAssignment[_sortedCurrentSubscriptions.Min!].Count;
        int max = _currentAssignment[_sortedCurrentSubscriptions.Max!].Count;
        if (min >= max - 1)
        {
            return true;
        }

        var allPartitions = new Dictionary<TopicPartition, string>();
        foreach (KeyValuePair<string, List<TopicPartition>> entry in _currentAssignment)
        {
            foreach (TopicPartition partition in entry.Value)
            {
                allPartitions[partition] = entry.Key;
            }
        }

        // Each consumer that could hold more must not be able to take a partition from a consumer holding two or more
        // more (KAFKA-15106: moving one from a consumer holding just one more only swaps the counts, and the old
        // predicate kept the reassignment loop going over every partition for nothing).
        foreach (string consumer in _sortedCurrentSubscriptions)
        {
            int consumerPartitionCount = _currentAssignment[consumer].Count;
            if (consumerPartitionCount == MaxAssignmentSize(consumer))
            {
                continue;
            }

            foreach (string topic in _consumer2AllPotentialTopics[consumer])
            {
                int partitionCount = _partitionsPerTopic[topic];
                for (int p = 0; p < partitionCount; p++)
                {
                    if (allPartitions.TryGetValue(new TopicPartition(topic, p), out string? other)
                        && !string.Equals(other, consumer, StringComparison.Ordinal)
                        && consumerPartitionCount + 1 < _currentAssignment[other].Count)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private bool PerformReassignments(List<TopicPartition> reassignablePartitions)
    {
        bool reassignmentPerformed = false;
        bool modified;
        do
        {
            modified = false;
            for (int i = 0; i < reassignablePartitions.Count && !IsBalanced(); i++)
            {
                TopicPartition partition = reassignablePartitions[i];
                string consumer = _currentPartitionConsumer[partition];

                if (_prevAssignment.TryGetValue(partition, out var previous)
                    && _currentAssignment.TryGetValue(previous.Consumer, out List<TopicPartition>? previousOwnerPartitions)
                    && _consumer2AllPotentialTopics[previous.Consumer].Contains(partition.Topic)
                    && _currentAssignment[consumer].Count > previousOwnerPartitions.Count + 1)
                {
                    ReassignPartition(partition, previous.Consumer);
                    reassignmentPerformed = true;
                    modified = true;
                    continue;
                }

                foreach (string otherConsumer in _topic2AllPotentialConsumers[partition.Topic])
                {
                    if (_currentAssignment.TryGetValue(otherConsumer, out List<TopicPartition>? otherPartitions)
                        && _currentAssignment[consumer].Count > otherPartitions.Count + 1)
                    {
                        ReassignPartition(partition);
                        reassignmentPerformed = true;
                        modified = true;
                        break;
                    }
                }
            }
        }
        while (modified);

        return reassignmentPerformed;
    }

    private void ReassignPartition(TopicPartition partition)
    {
        string? newConsumer = null;
        foreach (string candidate in _sortedCurrentSubscriptions)
        {
            if (_consumer2AllPotentialTopics[candidate].Contains(partition.Topic))
            {
                newConsumer = candidate;
                break;
            }
        }

        if (newConsumer is null)
        {
            throw new InvalidOperationException("general sticky assignment found no consumer for partition " + partition);
        }

        ReassignPartition(partition, newConsumer);
    }

    private void ReassignPartition(TopicPartition partition, string newConsumer)
    {
        string consumer = _currentPartitionConsumer[partition];
        TopicPartition partitionToBeMoved = _partitionMovements.GetTheActualPartitionToBeMoved(partition, consumer, newConsumer);
        ProcessPartitionMovement(partitionToBeMoved, newConsumer);
    }

    private void ProcessPartitionMovement(TopicPartition partition, string newConsumer)
    {
        string oldConsumer = _currentPartitionConsumer[partition];
        _sortedCurrentSubscriptions.Remove(oldConsumer);
        _sortedCurrentSubscriptions.Remove(newConsumer);

        _partitionMovements.MovePartition(partition, oldConsumer, newConsumer);

        _currentAssignment[oldConsumer].Remove(partition);
        _currentAssignment[newConsumer].Add(partition);
        _currentPartitionConsumer[partition] = newConsumer;
        _sortedCurrentSubscriptions.Add(newConsumer);
        _sortedCurrentSubscriptions.Add(oldConsumer);
    }

    private static int BalanceScore(Dictionary<string, List<TopicPartition>> assignment)
    {
        var sizes = new List<int>(assignment.Count);
        foreach (List<TopicPartition> partitions in assignment.Values)
        {
            sizes.Add(partitions.Count);
        }

        int score = 0;
        for (int i = 0; i < sizes.Count; i++)
        {
            for (int j = i + 1; j < sizes.Count; j++)
            {
                score += Math.Abs(sizes[i] - sizes[j]);
            }
        }

        return score;
    }

    private static Dictionary<string, List<TopicPartition>> DeepCopy(Dictionary<string, List<TopicPartition>> source)
    {
        var copy = new Dictionary<string, List<TopicPartition>>(source.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, List<TopicPartition>> entry in source)
        {
            copy.Add(entry.Key, new List<TopicPartition>(entry.Value));
        }

        return copy;
    }
}
