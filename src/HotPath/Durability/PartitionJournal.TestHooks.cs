namespace HotPath.Durability;

/// <summary>Test hooks of <see cref="PartitionJournal"/>.</summary>
internal sealed partial class PartitionJournal
{
    /// <summary>
    /// Closes the files without flushing the staged batches or writing a checkpoint: what a process crash leaves behind
    /// (the files hold what was flushed; the staged bytes are lost). Idempotent with <see cref="Dispose"/>.
    /// </summary>
    internal void AbandonForTest() => CloseWithoutSync();

    /// <summary>
    /// Called on the background seal's thread before it forces the sealed segment (<see cref="JournalSettings.SealInBackground"/>):
    /// a test blocks it to show the appender goes on meanwhile, or throws to fail the seal. Set on the appender before the roll.
    /// </summary>
    internal Action<JournalSegment>? BeforeSealForTest { get; set; }

    /// <summary>The event bytes written from where they were (the ring) rather than copied (<see cref="JournalStaging.InPlaceBytes"/>). The appender.</summary>
    internal long InPlaceBytesForTest => _staging.InPlaceBytes;

    /// <summary>True while a background seal is pending (not yet awaited by the appender). The appender.</summary>
    internal bool SealPendingForTest => _sealing is not null;
}
