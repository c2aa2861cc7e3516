namespace HotPath.Durability;

/// <summary>Test hooks of <see cref="PartitionJournal"/>.</summary>
internal sealed partial class PartitionJournal
{
    /// <summary>
    /// Closes the files without flushing the staged batches or writing a checkpoint: what a process crash leaves behind
    /// (the files hold what was flushed; the staged bytes are lost). Idempotent with <see cref="Dispose"/>.
    /// </summary>
    internal void AbandonForTest() => CloseWithoutSync();
}
