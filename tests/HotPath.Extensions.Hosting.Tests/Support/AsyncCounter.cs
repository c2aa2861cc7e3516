using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class async handler resolved from the container: counts each event through its scoped unit of work.</summary>
public sealed class AsyncCounter(UnitOfWork unitOfWork) : IAsyncEventHandler<Order>
{
    public async ValueTask OnEventAsync(Order @event, int partition, long offset, CancellationToken cancellationToken)
    {
        await Task.Yield();
        unitOfWork.Add(@event.Id);
        unitOfWork.Flush();
    }
}
