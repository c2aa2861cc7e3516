namespace HotPath.Groups;

/// <summary>
/// The validated input of one <see cref="IPartitionAssignor.Assign"/> call, shared by the three assignors.
/// </summary>
/// <remarks>
/// Like Kafka's <c>AbstractPartitionAssignor</c>, only topics that some member subscribes to and that exist in the
/// partition counts take part; each member's topics are read as a set. Members keep the order in which the caller's
/// dictionary enumerates them. Thread-safety: built and used by one call on one thread; not shared.
/// </remarks>
internal sealed class AssignmentRequest
{
    private AssignmentRequest(
        List<string> memberIds,
        Dictionary<string, Subscription> subscriptions,
        Dictionary<string, HashSet<string>> topicsByMember,
        Dictionary<string, int> partitionsPerTopic)
    {
        MemberIds = memberIds;
        Subscriptions = subscriptions;
        TopicsByMember = topicsByMember;
        PartitionsPerTopic = partitionsPerTopic;
    }

    /// <summary>Member ids in the caller's enumeration order.</summary>
    public List<string> MemberIds { get; }

    /// <summary>Each member's subscription as given.</summary>
    public Dictionary<string, Subscription> Subscriptions { get; }

    /// <summary>Each member's subscribed topics, as a set (including topics that do not exist).</summary>
    public Dictionary<string, HashSet<string>> TopicsByMember { get; }

    /// <summary>Partition counts of the topics that exist and have at least one subscriber.</summary>
    public Dictionary<string, int> PartitionsPerTopic { get; }

    /// <summary>Validates the arguments and builds the request.</summary>
    public static AssignmentRequest Create(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        ArgumentNullException.ThrowIfNull(subscriptions);

        foreach (KeyValuePair<string, int> entry in partitionsPerTopic)
        {
            if (entry.Key is null)
            {
                throw new ArgumentException(
                    "partitionsPerTopic must not hold a null topic name: partitionsPerTopic[null]=" + entry.Value,
                    nameof(partitionsPerTopic));
            }

            if (entry.Value < 0)
            {
                throw new ArgumentException(
                    $"partitionsPerTopic must not hold a negative partition count: partitionsPerTopic[\"{entry.Key}\"]={entry.Value}",
                    nameof(partitionsPerTopic));
            }
        }

        var memberIds = new List<string>(subscriptions.Count);
        var byMember = new Dictionary<string, Subscription>(subscriptions.Count, StringComparer.Ordinal);
        var topicsByMember = new Dictionary<string, HashSet<string>>(subscriptions.Count, StringComparer.Ordinal);
        var subscribed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Subscription> entry in subscriptions)
        {
            string member = entry.Key;
            Subscription? subscription = entry.Value;
            if (subscription is null)
            {
                throw new ArgumentException(
                    $"subscriptions must not hold a null subscription: subscriptions[\"{member}\"]=null",
                    nameof(subscriptions));
            }

            if (subscription.Topics is null)
            {
                throw new ArgumentException(
                    $"a subscription's topic list must not be null: subscriptions[\"{member}\"].Topics=null",
                    nameof(subscriptions));
            }

            if (subscription.Generation < -1)
            {
                throw new ArgumentException(
                    $"a subscription's generation must be -1 (unknown) or more: subscriptions[\"{member}\"].Generation={subscription.Generation}",
                    nameof(subscriptions));
            }

            var topics = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < subscription.Topics.Count; i++)
            {
                string topic = subscription.Topics[i];
                if (topic is null)
                {
                    throw new ArgumentException(
                        $"a subscription must not hold a null topic name: subscriptions[\"{member}\"].Topics[{i}]=null",
                        nameof(subscriptions));
                }

                topics.Add(topic);
                if (!subscribed.ContainsKey(topic) && partitionsPerTopic.TryGetValue(topic, out int count))
                {
                    subscribed.Add(topic, count);
                }
            }

            if (subscription.OwnedPartitions is { } owned)
            {
                for (int i = 0; i < owned.Count; i++)
                {
                    if (owned[i].Topic is null)
                    {
                        throw new ArgumentException(
                            $"an owned partition must name its topic: subscriptions[\"{member}\"].OwnedPartitions[{i}].Topic=null",
                            nameof(subscriptions));
                    }
                }
            }

            memberIds.Add(member);
            byMember.Add(member, subscription);
            topicsByMember.Add(member, topics);
        }

        return new AssignmentRequest(memberIds, byMember, topicsByMember, subscribed);
    }

    /// <summary>True when <paramref name="partition"/> exists in the partition counts of this request.</summary>
    public bool Exists(TopicPartition partition) =>
        PartitionsPerTopic.TryGetValue(partition.Topic, out int count) && partition.Partition >= 0 && partition.Partition < count;

    /// <summary>An empty list per member, keyed by member id.</summary>
    public Dictionary<string, List<TopicPartition>> EmptyAssignment()
    {
        var assignment = new Dictionary<string, List<TopicPartition>>(MemberIds.Count, StringComparer.Ordinal);
        foreach (string member in MemberIds)
        {
            assignment.Add(member, new List<TopicPartition>());
        }

        return assignment;
    }

    /// <summary>Copies <paramref name="assignment"/> into the public result shape, members in input order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> ToResult(Dictionary<string, List<TopicPartition>> assignment)
    {
        var result = new Dictionary<string, IReadOnlyList<TopicPartition>>(MemberIds.Count, StringComparer.Ordinal);
        foreach (string member in MemberIds)
        {
            result.Add(member, assignment.TryGetValue(member, out List<TopicPartition>? list) ? list : new List<TopicPartition>());
        }

        return result;
    }

    /// <summary>
    /// Member ids sorted as Kafka's <c>MemberInfo.compareTo</c> sorts them: static members first, by group instance
    /// id, then dynamic members by member id, all by ordinal comparison (Java's <c>String.compareTo</c>).
    /// </summary>
    public List<string> MembersInKafkaOrder()
    {
        var sorted = new List<string>(MemberIds);
        sorted.Sort((a, b) => CompareMembers(a, Subscriptions[a].GroupInstanceId, b, Subscriptions[b].GroupInstanceId));
        return sorted;
    }

    private static int CompareMembers(string memberA, string? instanceA, string memberB, string? instanceB)
    {
        if (instanceA is not null && instanceB is not null)
        {
            int byInstance = string.CompareOrdinal(instanceA, instanceB);
            // Kafka leaves equal instance ids to the stable sort; the member id makes the order deterministic.
            return byInstance != 0 ? byInstance : string.CompareOrdinal(memberA, memberB);
        }

        if (instanceA is not null)
        {
            return -1;
        }

        if (instanceB is not null)
        {
            return 1;
        }

        return string.CompareOrdinal(memberA, memberB);
    }
}
