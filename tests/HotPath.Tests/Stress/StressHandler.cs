using HotPath.Consumers;

namespace HotPath.Tests.Stress;

/// <summary>The stress groups' handler: records into the group's ledger (which may crash or hang on request).</summary>
internal sealed class StressHandler(StressLedger ledger) : IEventHandler<StressEvent>
{
    public void OnEvent(ref readonly StressEvent @event, int partition, long offset, bool endOfBatch) =>
        ledger.Record(in @event, partition, offset);
}
