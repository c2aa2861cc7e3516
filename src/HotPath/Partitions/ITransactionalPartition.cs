namespace HotPath.Partitions;

/// <summary>
/// What a transaction needs of a partition whatever its event type: its transaction index, and the recording of an
/// aborted range. Implemented by <see cref="Partition{T}"/>.
/// </summary>
internal interface ITransactionalPartition
{
    /// <summary>The topic's name.</summary>
    string TopicName { get; }

    /// <summary>The partition number.</summary>
    int Id { get; }

    /// <summary>The partition's journal when its topic is durable, else null.</summary>
    HotPath.Durability.JournalProgress? DurableJournal { get; }

    /// <summary>The partition's open transactions and aborted offsets.</summary>
    TransactionIndex Transactions { get; }

    /// <summary>Records [<paramref name="from"/>, <paramref name="to"/>] as aborted: read-committed readers skip it.</summary>
    void RecordAborted(long from, long to);

    /// <summary>Wakes parked readers after the last stable offset moved (a transaction ended).</summary>
    void NotifyStableMoved();
}
