namespace HotPath.Workers;

/// <summary>
/// Batch coalescing (<see cref="Consumers.ConsumerGroupOptions.CoalesceBelow"/>): a reader that keeps pace with a
/// streaming writer would read the writer's cursor and newest slot right after each publish, so the writer would
/// re-acquire both cache lines from the reader's core for nearly every event. After a small batch that follows
/// another productive pass, the reader pauses briefly so that the writer gets whole cache lines ahead.
/// </summary>
/// <remarks>Thread-safety: stateless; called by each reading thread for itself.</remarks>
internal static class BatchCoalescing
{
    /// <summary>The default threshold: a pass that handed out fewer events than this may be followed by a pause.</summary>
    public const int DefaultBelow = 256;

    // Thread.SpinWait iterations are normalised by the runtime to roughly 35-50 ns each, so 8 give the writer ~0.3 us,
    // about 100 events of a fast writer.
    private const int PauseSpins = 8;

    /// <summary>Called after a pass that handed out <paramref name="handled"/> (at least 1) events.</summary>
    /// <param name="handled">Events (offsets) the pass handed out.</param>
    /// <param name="below">The threshold; 0 never pauses.</param>
    /// <param name="idleBefore">Consecutive empty passes before this one: 0 means the previous pass made progress too,
    /// so the writer is streaming. An idle reader is therefore never delayed.</param>
    public static void AfterProgress(int handled, int below, int idleBefore)
    {
        if (handled < below && idleBefore == 0)
        {
            Thread.SpinWait(PauseSpins);
        }
    }
}
