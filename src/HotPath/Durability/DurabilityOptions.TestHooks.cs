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
}
