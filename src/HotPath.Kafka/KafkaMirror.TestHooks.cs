using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

// Test hooks of KafkaMirror<T>, reached through InternalsVisibleTo.
public sealed partial class KafkaMirror<T>
{
    /// <summary>
    /// Simulates a crash of the process hosting the mirror: the mirroring thread stops at once (it produces and
    /// commits nothing more, not even the batch it is waiting on), the member leaves the group without committing,
    /// and the producer is disposed without flushing, so records it still held may or may not reach Kafka.
    /// The group's committed offsets are what a restarted process would find.
    /// </summary>
    /// <remarks>Thread safety: any thread except the mirroring thread; at most once, instead of <see cref="Dispose"/>.</remarks>
    internal void SimulateCrash()
    {
        // Release: the mirroring thread's acquire reads in OnEvent/CompleteBatch see it and return without committing.
        Volatile.Write(ref _crashed, 1);
        foreach (MirrorPartition partition in _partitions)
        {
            partition.Wake();
        }

        if (Interlocked.Exchange(ref _state, StateDisposed) == StateDisposed)
        {
            return;
        }

        LeaveGroup();
        _producer.Dispose();
    }
}
