using HotPath.Consumers;
using HotPath.Topics;
using HotPath.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>
/// A class transactional handler: publishes each order into "processed" inside the member's transaction; its first
/// attempt at order 3 throws after publishing (the transaction aborts, so that output is never read).
/// </summary>
public sealed class TransactionalForwarder([FromKeyedServices("processed")] Topic<Order> processed, UnitOfWork unitOfWork, FlakyHandler.Attempts attempts)
    : ITransactionalHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
    {
        transaction.Publish(processed, @event.Id, in @event);
        if (@event.Id == 3 && Interlocked.Increment(ref attempts.Count) == 1)
        {
            throw new InvalidOperationException("first attempt at order 3 fails");
        }

        // The unit of work only marks the scope; the downstream group counts the outputs.
        if (endOfBatch)
        {
            unitOfWork.Flush();
        }
    }
}
