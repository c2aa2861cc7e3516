namespace HotPath.Durability;

/// <summary>When a durable topic's journal is forced to stable storage, and so what an acknowledged event survives.</summary>
public enum SyncPolicy
{
    /// <summary>
    /// Never forced: an event is acknowledged once the journaller wrote it to the operating system (the page cache). It
    /// survives a crash of the process, not a crash of the machine or a power loss.
    /// </summary>
    None = 0,

    /// <summary>
    /// Forced every <see cref="DurabilityOptions.SyncInterval"/>: an event is acknowledged once a sync that followed its
    /// write returned. It survives a power loss; up to one interval of unacknowledged events may be lost.
    /// </summary>
    Interval = 1,

    /// <summary>
    /// Forced after every batch the journaller writes (fsync on Linux and macOS, FlushFileBuffers on Windows): an event
    /// is acknowledged once the sync of its batch returned. It survives a power loss.
    /// </summary>
    EveryBatch = 2,
}
