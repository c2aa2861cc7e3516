namespace HotPath.Benchmarks.Throughput;

/// <summary>Consume-transform-produce exactly once: writer → input → transactional member → output → read-committed member.</summary>
public class HotPathTransactionalPipeline : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new TransactionalPipelinePipe<TEvent>();
}
