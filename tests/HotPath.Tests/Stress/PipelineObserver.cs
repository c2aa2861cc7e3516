using HotPath.Consumers;

namespace HotPath.Tests.Stress;

/// <summary>An observer group's handler: records into its ledger.</summary>
internal sealed class PipelineObserver(PipelineLedger ledger) : IEventHandler<PipelineEvent>
{
    public void OnEvent(ref readonly PipelineEvent @event, int partition, long offset, bool endOfBatch) =>
        ledger.Record(in @event, partition, offset);
}
