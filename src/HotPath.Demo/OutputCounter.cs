using HotPath.Consumers;

namespace HotPath.Demo;

/// <summary>
/// The handler of the exactly-once stage's counting groups (read-committed): counts the outputs per order, once per
/// offset, so a redelivery to the counting group itself does not count twice. Saturates at 255.
/// </summary>
/// <param name="counts">Outputs seen per order index; written by the group's only member, read after it drained.</param>
/// <param name="next">Per partition, the offset after the last one counted.</param>
internal readonly struct OutputCounter(byte[] counts, long[] next) : IEventHandler<ProcessedOrder>
{
    public void OnEvent(ref readonly ProcessedOrder @event, int partition, long offset, bool endOfBatch)
    {
        if (offset < next[partition])
        {
            return;
        }

        next[partition] = offset + 1;
        int index = OrderIds.ToIndex(@event.OrderId);
        if ((uint)index < (uint)counts.Length && counts[index] < byte.MaxValue)
        {
            counts[index]++;
        }
    }
}
