using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A user's own rebalance listener: records what it heard, to check the logging chains to it.</summary>
public sealed class RecordingListener : IRebalanceListener
{
    public ConcurrentQueue<(string Member, TopicPartition Partition)> Assigned { get; } = new();

    public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        foreach (TopicPartition partition in partitions)
        {
            Assigned.Enqueue((memberId, partition));
        }
    }

    public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
    }

    public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
    }
}
