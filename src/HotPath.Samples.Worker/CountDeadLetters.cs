using HotPath.Consumers;

namespace HotPath.Samples.Worker;

/// <summary>The dlq-monitor group's handler: counts what reached the dead-letter topic.</summary>
public readonly struct CountDeadLetters(OrderStats stats) : IEventHandler<DeadLetter<OrderPlaced>>
{
    public void OnEvent(ref readonly DeadLetter<OrderPlaced> letter, int partition, long offset, bool endOfBatch) => stats.AddDeadLettered();
}
