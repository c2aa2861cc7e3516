using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

// Test hooks of KafkaMirror<T>, reached through InternalsVisibleTo.
public sealed partial class KafkaMirror<T>
{
    private int _transactionAborts;
    private int _transactionRetries;

    /// <summary>
    /// Called before each transactional call of the producer with its name (<c>init</c>, <c>begin</c>,
    /// <c>send_offsets</c>, <c>commit</c>, <c>abort</c>); an exception it returns is thrown in place of the call, as if
    /// Confluent.Kafka had thrown it. Set before <see cref="StartAsync"/>; called on the thread that makes the call.
    /// </summary>
    internal Func<string, Exception?>? TransactionCallHook { get; set; }

    /// <summary>Kafka transactions this mirror aborted (successful AbortTransaction calls). Any thread.</summary>
    internal int TransactionAborts => Volatile.Read(ref _transactionAborts);

    /// <summary>Transactional calls retried after a retriable failure. Any thread.</summary>
    internal int TransactionRetries => Volatile.Read(ref _transactionRetries);

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
