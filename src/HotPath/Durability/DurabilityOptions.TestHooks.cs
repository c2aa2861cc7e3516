namespace HotPath.Durability;

/// <summary>Test hooks of <see cref="DurabilityOptions"/> (internal, reached through InternalsVisibleTo).</summary>
public sealed partial record DurabilityOptions
{
    /// <summary>
    /// When true, the topic's journaller thread is not started: a test runs its rounds on a thread of its own choosing
    /// (<c>TopicJournaller.RunRoundForTest</c>), so that a systematic test controls every thread, and the topic's close
    /// finishes the journal on the closing thread. False outside tests.
    /// </summary>
    internal bool JournallerDrivenByTest { get; init; }

    /// <summary>
    /// The journal's chunk size (<see cref="JournalSettings.ChunkBytes"/>; a power of two), or 0 for the default 64 KiB:
    /// small chunks let a systematic test's tiny ring reach the chunk flushes that hold back part of a batch. 0 outside
    /// tests.
    /// </summary>
    internal int ChunkBytesForTest { get; init; }
}
