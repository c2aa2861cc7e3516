using HotPath.Consumers;

namespace HotPath.Demo;

/// <summary>
/// The handler of every group in the demo. It records what it sees (<see cref="GroupLog.Observe"/>), then acts:
/// consumer-group-A processes every event; the fan-out services act on order_placed only (reserve stock, book a
/// shipment, send an email, write an audit line: here, counting units) and pass over the rest, which still counts
/// as handled. A struct, so the member loop calls it without virtual dispatch.
/// </summary>
/// <param name="group">The group's log.</param>
/// <param name="member">This member's log.</param>
/// <param name="sleepEvery">Sleep 1 ms every this many events (a deliberately slow consumer), or 0.</param>
internal struct OrderHandler(GroupLog group, MemberLog member, int sleepEvery) : IEventHandler<OrderEvent>
{
    /// <summary>Sleep 1 ms every this many events, or 0 for never.</summary>
    public readonly int SleepEvery => sleepEvery;

    public readonly void OnEvent(ref readonly OrderEvent @event, int partition, long offset, bool endOfBatch)
    {
        MemberLog log = member;
        if (log.CrashRequested)
        {
            Crash(log, partition, offset);
        }

        if (log.FirstOffset[partition] < 0)
        {
            log.FirstOffset[partition] = offset;
        }

        group.Observe(OrderIds.ToIndex(@event.OrderId), @event.Step, partition, log);
        log.ByType[(int)@event.Type]++;
        if (@event.Type == OrderEventType.Placed)
        {
            log.UnitsPlaced += @event.Quantity;
        }

        if (sleepEvery != 0 && ++log.SinceSleep >= sleepEvery)
        {
            log.SinceSleep = 0;
            Thread.Sleep(1);
        }
    }

    private static void Crash(MemberLog log, int partition, long offset) =>
        throw new InvalidOperationException(
            $"simulated crash of member {log.MemberId} at partition {partition}, offset {offset} (the demo's half-way failure)");
}
