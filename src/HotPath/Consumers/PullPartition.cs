namespace HotPath.Consumers;

/// <summary>
/// One partition of a pull consumer (<see cref="GroupConsumer{T}"/>) for as long as the consumer holds it with one
/// cursor position history: from the first batch its fetch thread copies after taking the partition (or after a seek)
/// until the partition is revoked, lost or sought. Tracks what was handed out to the hand-off and what the consumer's
/// user consumed from it, so that a commit moves the group's offset to what was consumed, never to what was only copied.
/// </summary>
/// <remarks>
/// <para><b>Consumed.</b> <see cref="Consumed"/> is the next offset after the last event the user took, or, once every
/// copied event was taken (<see cref="Outstanding"/> is 0), the cursor's position after the last batch
/// (<see cref="HandedOutTo"/>): offsets the cursor stepped over there (gaps, aborted transactions, events a lossy group
/// lost) count as consumed too, so that the group can commit past them and drain.</para>
/// <para>Thread-safety: every mutable field is read and written under the hand-off's lock (<see cref="PullHandoff{T}"/>),
/// by the fetch thread (it registers the partition, adds copies, withdraws it) and by consuming threads (they take copies
/// and commit). <see cref="Partition"/> and <see cref="Cursor"/> are immutable.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class PullPartition<T>(object owner, GroupPartition<T> partition, ReadCursor<T> cursor)
    where T : struct
{
    /// <summary>The hand-off this record belongs to: a result of another consumer is refused by a commit.</summary>
    public object Owner { get; } = owner;

    /// <summary>The group's partition.</summary>
    public GroupPartition<T> Partition { get; } = partition;

    /// <summary>The consumer's own cursor on it (never the partition's current one, which a fence replaces).</summary>
    public ReadCursor<T> Cursor { get; } = cursor;

    /// <summary>The next offset after what the user consumed. Under the hand-off's lock.</summary>
    public long Consumed { get; set; } = cursor.Position;

    /// <summary>What this partition last committed through <see cref="PullHandoff{T}"/>. Under the hand-off's lock.</summary>
    public long Committed { get; set; } = cursor.Committed;

    /// <summary>The cursor's position after the last batch copied into the hand-off. Under the hand-off's lock.</summary>
    public long HandedOutTo { get; set; } = cursor.Position;

    /// <summary>Copies of this partition in the hand-off that the user has not taken. Under the hand-off's lock.</summary>
    public int Outstanding { get; set; }

    /// <summary>
    /// True once the partition left the consumer (revoked, lost, fenced) or was sought: its copies still in the hand-off
    /// are dropped, and nothing commits through it any more. Under the hand-off's lock.
    /// </summary>
    public bool Withdrawn { get; set; }

    /// <summary>The user took the copy at <paramref name="offset"/>. Under the hand-off's lock.</summary>
    /// <param name="offset">The copy's offset.</param>
    public void Take(long offset)
    {
        Outstanding--;
        Consumed = Outstanding == 0 ? HandedOutTo : offset + 1;
    }

    /// <summary>The fetch thread added <paramref name="count"/> copies and its cursor is now at <paramref name="position"/>. Under the lock.</summary>
    /// <param name="count">Copies added (events; the offsets the cursor stepped over are not copies).</param>
    /// <param name="position">The cursor's position after the batch.</param>
    public void Add(int count, long position)
    {
        Outstanding += count;
        HandedOutTo = position;
        if (Outstanding == 0)
        {
            // Only offsets without an event were passed (gaps, aborted, lost) and every copy was taken: all consumed.
            Consumed = position;
        }
    }
}
