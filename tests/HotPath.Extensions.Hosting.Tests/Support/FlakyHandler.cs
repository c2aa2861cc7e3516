using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class handler whose first attempt at order 3 throws; the retry succeeds, in the same unit of work.</summary>
public sealed class FlakyHandler(UnitOfWork unitOfWork, FlakyHandler.Attempts attempts) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
        if (@event.Id == 3 && Interlocked.Increment(ref attempts.Count) == 1)
        {
            throw new InvalidOperationException("first attempt at order 3 fails");
        }

        unitOfWork.Add(@event.Id);
        if (endOfBatch)
        {
            unitOfWork.Flush();
        }
    }

    /// <summary>Attempts at order 3 so far.</summary>
    public sealed class Attempts
    {
        public int Count;
    }
}
