namespace HotPath.Durability;

/// <summary>
/// What a transaction log says: the commit records still pending (a transaction and the parts that have not reported
/// its end marker) and the latest consumer offsets transactions committed. Built from the file by
/// <see cref="TransactionLog"/> (which then keeps it under its lock) or read once, without the log's lock, by a topic's
/// recovery (<see cref="TransactionLog.ReadSnapshot"/>).
/// </summary>
/// <remarks>Thread-safety: none; its owner serialises access.</remarks>
internal sealed class TransactionLogState
{
    /// <summary>Committed transactions whose end markers are not yet known to be in every part.</summary>
    public Dictionary<long, HashSet<TopicPart>> Pending { get; } = [];

    /// <summary>The latest offset per topic, group and partition that a transaction committed.</summary>
    public Dictionary<(string Topic, string GroupId, int Partition), long> Offsets { get; } = [];

    /// <summary>Applies a commit record: its transaction is pending in its parts; its offsets raise (or, -1, delete) the stored ones.</summary>
    public void Apply(in TransactionRecord record)
    {
        if (record.Transaction != 0 && record.Parts.Count > 0)
        {
            Pending[record.Transaction] = [.. record.Parts];
        }

        foreach (TransactionOffset offset in record.Offsets)
        {
            var key = (offset.Topic, offset.GroupId, offset.Partition);
            if (offset.Offset == OffsetEntry.Deleted)
            {
                Offsets.Remove(key);
            }
            else if (!Offsets.TryGetValue(key, out long stored) || stored < offset.Offset)
            {
                Offsets[key] = offset.Offset;
            }
        }
    }

    /// <summary>True when <paramref name="transaction"/>'s commit record is pending (committed, not resolved everywhere).</summary>
    public bool IsCommitted(long transaction) => Pending.ContainsKey(transaction);

    /// <summary>The stored offsets of <paramref name="topic"/>, or of every topic when null.</summary>
    public List<TransactionOffset> OffsetsOf(string? topic)
    {
        var offsets = new List<TransactionOffset>();
        foreach (KeyValuePair<(string Topic, string GroupId, int Partition), long> pair in Offsets)
        {
            if (topic is null || pair.Key.Topic == topic)
            {
                offsets.Add(new TransactionOffset(pair.Key.Topic, pair.Key.GroupId, pair.Key.Partition, pair.Value));
            }
        }

        return offsets;
    }
}
