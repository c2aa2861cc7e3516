namespace HotPath.Samples.Worker;

/// <summary>What the handlers did, shared by them (a singleton).</summary>
/// <remarks>
/// Members of several groups add at once: each counter is an Interlocked add (atomic; a full fence, though nothing else
/// is published with it). The reads are Interlocked too (atomic 64-bit reads on 32-bit platforms); the final figures are
/// read after the host stopped, when the members' threads have ended and every add is visible.
/// </remarks>
public sealed class OrderStats
{
    private long _shipped;
    private long _shipmentBatches;
    private long _audited;
    private long _deadLettered;

    public long Shipped => Interlocked.Read(ref _shipped);

    public long ShipmentBatches => Interlocked.Read(ref _shipmentBatches);

    public long Audited => Interlocked.Read(ref _audited);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public void AddShipments(int count)
    {
        Interlocked.Add(ref _shipped, count);
        Interlocked.Increment(ref _shipmentBatches);
    }

    public void AddAudited() => Interlocked.Increment(ref _audited);

    public void AddDeadLettered() => Interlocked.Increment(ref _deadLettered);
}
