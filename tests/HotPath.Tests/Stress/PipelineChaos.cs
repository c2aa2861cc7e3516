namespace HotPath.Tests.Stress;

/// <summary>What the chaos driver asks of the next handler call of an exactly-once pipeline stage.</summary>
internal enum PipelineChaos
{
    None = 0,

    /// <summary>The handler throws, and keeps throwing on every retry: the error policy stops the member (Faulted).</summary>
    Crash,

    /// <summary>The handler blocks past the session time-out until its member is declared failed, then until released.</summary>
    Hang,

    /// <summary>The handler takes longer than the transaction time-out (shorter than the session time-out): the coordinator aborts.</summary>
    Slow,

    /// <summary>As <see cref="Slow"/>, on the last event of a batch: the member's commit finds its transaction aborted.</summary>
    SlowAtCommit,

    /// <summary>The handler throws once, after publishing; the error policy retries.</summary>
    Transient,

    /// <summary>
    /// On the last event of a batch, the handler waits for the coordinator's time-out to begin aborting its transaction
    /// and returns at once: the member's commit meets the abort while it is under way.
    /// </summary>
    CommitDuringTimeout,
}
