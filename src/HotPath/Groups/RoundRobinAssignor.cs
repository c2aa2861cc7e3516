namespace HotPath.Groups;

/// <summary>
/// Kafka's <c>roundrobin</c> assignor: lays out every partition of every subscribed topic, sorted by topic and then
/// partition, and deals them out to the members in a circle (static members first by group instance id, then by
/// member id), skipping a member when it does not subscribe to the partition's topic.
/// </summary>
/// <remarks>
/// Examples from Kafka's documentation: with C0 and C1 both on t0 and t1 (three partitions each), C0 gets
/// [t0p0, t0p2, t1p1] and C1 gets [t0p1, t1p0, t1p2]. When subscriptions differ the result can be unbalanced: with
/// t0, t1, t2 of 1, 2 and 3 partitions, C0 on t0, C1 on t0 and t1, C2 on all three, C0 gets [t0p0], C1 gets [t1p0]
/// and C2 gets [t1p1, t2p0, t2p1, t2p2]. With identical subscriptions the counts differ by at most one.
/// Thread-safety: stateless; <see cref="Assign"/> may be called from several threads at once.
/// </remarks>
public sealed class RoundRobinAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "roundrobin";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        var request = AssignmentRequest.Create(partitionsPerTopic, subscriptions);
        Dictionary<string, List<TopicPartition>> assignment = request.EmptyAssignment();
        List<string> circle = request.MembersInKafkaOrder();

        var topics = new List<string>(request.PartitionsPerTopic.Keys);
        topics.Sort(StringComparer.Ordinal);
        int next = 0;
        foreach (string topic in topics)
        {
            int partitionCount = request.PartitionsPerTopic[topic];
            for (int p = 0; p < partitionCount; p++)
            {
                // Some member subscribes to every topic in the request, so this loop ends.
                while (!request.TopicsByMember[circle[next]].Contains(topic))
                {
                    next = (next + 1) % circle.Count;
                }

                assignment[circle[next]].Add(new TopicPartition(topic, p));
                next = (next + 1) % circle.Count;
            }
        }

        return request.ToResult(assignment);
    }
}
