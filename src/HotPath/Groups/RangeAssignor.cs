namespace HotPath.Groups;

/// <summary>
/// Kafka's <c>range</c> assignor: works topic by topic. For each topic the partitions are laid out in numeric order
/// and its subscribers in member order (static members first by group instance id, then by member id); each
/// subscriber gets <c>partitions / subscribers</c> consecutive partitions and the first <c>partitions % subscribers</c>
/// get one extra.
/// </summary>
/// <remarks>
/// Example from Kafka's documentation: members C0 and C1 both subscribe to t0 and t1, three partitions each; C0 gets
/// [t0p0, t0p1, t1p0, t1p1] and C1 gets [t0p2, t1p2]. Balance holds per topic only, so with many topics the first
/// members carry more. Each member's list is ordered by topic, then partition.
/// Thread-safety: stateless; <see cref="Assign"/> may be called from several threads at once.
/// </remarks>
public sealed class RangeAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "range";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        var request = AssignmentRequest.Create(partitionsPerTopic, subscriptions);
        Dictionary<string, List<TopicPartition>> assignment = request.EmptyAssignment();
        List<string> orderedMembers = request.MembersInKafkaOrder();

        var topics = new List<string>(request.PartitionsPerTopic.Keys);
        topics.Sort(StringComparer.Ordinal);
        var consumersForTopic = new List<string>(orderedMembers.Count);
        foreach (string topic in topics)
        {
            consumersForTopic.Clear();
            foreach (string member in orderedMembers)
            {
                if (request.TopicsByMember[member].Contains(topic))
                {
                    consumersForTopic.Add(member);
                }
            }

            int partitionCount = request.PartitionsPerTopic[topic];
            int perConsumer = partitionCount / consumersForTopic.Count;
            int withExtra = partitionCount % consumersForTopic.Count;
            for (int i = 0; i < consumersForTopic.Count; i++)
            {
                int start = (perConsumer * i) + Math.Min(i, withExtra);
                int length = perConsumer + (i < withExtra ? 1 : 0);
                List<TopicPartition> target = assignment[consumersForTopic[i]];
                for (int p = start; p < start + length; p++)
                {
                    target.Add(new TopicPartition(topic, p));
                }
            }
        }

        return request.ToResult(assignment);
    }
}
