namespace HotPath.Groups;

/// <summary>
/// Port of the <c>PartitionMovements</c> helper of Kafka's sticky assignor: records which partitions moved between
/// which members during one general assignment, so that a move back undoes an earlier move of the same topic instead
/// of creating a new one (stickiness).
/// </summary>
/// <remarks>
/// Kafka keeps the partitions moved between a pair of members in a <c>HashSet</c> and takes its first element; this
/// port keeps Java's iteration order for that choice (see <see cref="JavaHashOrder"/>).
/// Thread-safety: single-use, one thread.
/// </remarks>
internal sealed class PartitionMovements
{
    private readonly Dictionary<string, Dictionary<(string Source, string Destination), MovedSet>> _movementsByTopic =
        new(StringComparer.Ordinal);

    private readonly Dictionary<TopicPartition, (string Source, string Destination)> _movements = new();

    /// <summary>Records that <paramref name="partition"/> moves from <paramref name="oldConsumer"/> to <paramref name="newConsumer"/>.</summary>
    public void MovePartition(TopicPartition partition, string oldConsumer, string newConsumer)
    {
        if (_movements.ContainsKey(partition))
        {
            (string source, string _) = RemoveMovementRecord(partition);
            if (!string.Equals(source, newConsumer, StringComparison.Ordinal))
            {
                AddMovementRecord(partition, (source, newConsumer));
            }
        }
        else
        {
            AddMovementRecord(partition, (oldConsumer, newConsumer));
        }
    }

    /// <summary>
    /// The partition that should really move from <paramref name="oldConsumer"/> to <paramref name="newConsumer"/>:
    /// one that earlier moved the other way, if any, else <paramref name="partition"/> itself.
    /// </summary>
    public TopicPartition GetTheActualPartitionToBeMoved(TopicPartition partition, string oldConsumer, string newConsumer)
    {
        if (!_movementsByTopic.TryGetValue(partition.Topic, out var forTopic))
        {
            return partition;
        }

        if (_movements.TryGetValue(partition, out var previous))
        {
            oldConsumer = previous.Source;
        }

        return forTopic.TryGetValue((newConsumer, oldConsumer), out MovedSet? reverse) ? reverse.First() : partition;
    }

    private (string Source, string Destination) RemoveMovementRecord(TopicPartition partition)
    {
        var pair = _movements[partition];
        _movements.Remove(partition);
        var forTopic = _movementsByTopic[partition.Topic];
        MovedSet set = forTopic[pair];
        set.Remove(partition);
        if (set.Count == 0)
        {
            forTopic.Remove(pair);
        }

        if (forTopic.Count == 0)
        {
            _movementsByTopic.Remove(partition.Topic);
        }

        return pair;
    }

    private void AddMovementRecord(TopicPartition partition, (string Source, string Destination) pair)
    {
        _movements[partition] = pair;
        if (!_movementsByTopic.TryGetValue(partition.Topic, out var forTopic))
        {
            forTopic = new Dictionary<(string Source, string Destination), MovedSet>();
            _movementsByTopic.Add(partition.Topic, forTopic);
        }

        if (!forTopic.TryGetValue(pair, out MovedSet? set))
        {
            set = new MovedSet();
            forTopic.Add(pair, set);
        }

        set.Add(partition);
    }

    /// <summary>A set of partitions that yields its first element in Java <c>HashSet</c> order.</summary>
    private sealed class MovedSet
    {
        private readonly List<TopicPartition> _inInsertionOrder = new();
        private int _capacity = 16;

        public int Count => _inInsertionOrder.Count;

        public void Add(TopicPartition partition)
        {
            if (_inInsertionOrder.Contains(partition))
            {
                return;
            }

            _inInsertionOrder.Add(partition);
            // A Java table never shrinks: the capacity follows the largest size reached.
            _capacity = Math.Max(_capacity, JavaHashOrder.Capacity(_inInsertionOrder.Count));
        }

        public void Remove(TopicPartition partition) => _inInsertionOrder.Remove(partition);

        public TopicPartition First()
        {
            TopicPartition best = _inInsertionOrder[0];
            int bestBucket = JavaHashOrder.Bucket(JavaHashOrder.PartitionHash(best), _capacity);
            for (int i = 1; i < _inInsertionOrder.Count; i++)
            {
                int bucket = JavaHashOrder.Bucket(JavaHashOrder.PartitionHash(_inInsertionOrder[i]), _capacity);
                if (bucket < bestBucket)
                {
                    best = _inInsertionOrder[i];
                    bestBucket = bucket;
                }
            }

            return best;
        }
    }
}
