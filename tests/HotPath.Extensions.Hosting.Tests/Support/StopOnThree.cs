using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class handler that saves each order at once through its unit of work, and throws on every attempt at order 3.</summary>
public sealed class StopOnThree(UnitOfWork unitOfWork) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
        if (@event.Id == 3)
        {
            throw new InvalidOperationException("order 3 cannot be handled");
        }

        unitOfWork.Add(@event.Id);
        unitOfWork.Flush();
    }
}
