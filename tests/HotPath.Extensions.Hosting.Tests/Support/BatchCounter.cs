using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class batch handler resolved from the container: counts each event through its scoped unit of work.</summary>
public sealed class BatchCounter(UnitOfWork unitOfWork) : IBatchHandler<Order>
{
    public void OnBatch(ReadOnlySpan<Order> events, int partition, long firstOffset)
    {
        foreach (Order order in events)
        {
            unitOfWork.Add(order.Id);
        }

        unitOfWork.Flush();
    }
}
