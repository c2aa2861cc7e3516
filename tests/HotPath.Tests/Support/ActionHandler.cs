using HotPath.Consumers;

namespace HotPath.Tests.Support;

/// <summary>A class handler that runs a delegate per event: for tests that script what a handler does.</summary>
public sealed class ActionHandler(Action<TestEvent, int, long, bool> onEvent) : IEventHandler<TestEvent>
{
    private long _calls;

    /// <summary>Handler calls so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
    {
        Interlocked.Increment(ref _calls);
        onEvent(@event, partition, offset, endOfBatch);
    }
}

/// <summary>Records rebalance callbacks per member.</summary>
public sealed class RecordingListener : IRebalanceListener
{
    public System.Collections.Concurrent.ConcurrentQueue<(string Kind, string Member, HotPath.Groups.TopicPartition Partition)> Calls { get; } = new();

    public void OnPartitionsRevoked(string memberId, IReadOnlyList<HotPath.Groups.TopicPartition> partitions) => Record("revoked", memberId, partitions);

    public void OnPartitionsAssigned(string memberId, IReadOnlyList<HotPath.Groups.TopicPartition> partitions) => Record("assigned", memberId, partitions);

    public void OnPartitionsLost(string memberId, IReadOnlyList<HotPath.Groups.TopicPartition> partitions) => Record("lost", memberId, partitions);

    private void Record(string kind, string memberId, IReadOnlyList<HotPath.Groups.TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            Calls.Enqueue((kind, memberId, partition));
        }
    }
}
