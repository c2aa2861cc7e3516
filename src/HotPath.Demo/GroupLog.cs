namespace HotPath.Demo;

/// <summary>
/// What the handlers of one group saw, per order: a bit per step seen (an order has at most 3 events) and the
/// partition its events came from. Preallocated; the handlers write one byte or two per event, nothing else.
/// </summary>
/// <remarks>
/// An order lives on one partition, and a partition is owned by one member at a time; a move to another member
/// goes through the group's commit and ownership hand-over, which orders these plain writes. The arrays are read
/// only after the members' threads ended.
/// </remarks>
internal sealed class GroupLog
{
    /// <summary>Marks an order whose partition is not known yet.</summary>
    public const byte NoPartition = byte.MaxValue;

    private readonly byte[] _seen;
    private readonly byte[] _partitionOf;
    private readonly List<MemberLog> _members = [];

    public GroupLog(string groupId, bool lossy, int orderCount)
    {
        GroupId = groupId;
        Lossy = lossy;
        _seen = new byte[orderCount];
        _partitionOf = new byte[orderCount];
        Array.Fill(_partitionOf, NoPartition);
    }

    public string GroupId { get; }

    public bool Lossy { get; }

    /// <summary>Steps seen per order index: bit s set when the event with step s arrived.</summary>
    public ReadOnlySpan<byte> Seen => _seen;

    /// <summary>The partition each order's first event came from, or <see cref="NoPartition"/>.</summary>
    public ReadOnlySpan<byte> PartitionOf => _partitionOf;

    /// <summary>The members' logs, in join order.</summary>
    public IReadOnlyList<MemberLog> Members => _members;

    /// <summary>A log for a new member. Call before the member joins.</summary>
    public MemberLog AddMember(string memberId, int partitionCount)
    {
        var member = new MemberLog(memberId, partitionCount);
        _members.Add(member);
        return member;
    }

    /// <summary>Records one event as a handler saw it.</summary>
    /// <param name="index">The order index.</param>
    /// <param name="step">The event's step in its order (0 to 2).</param>
    /// <param name="partition">The partition it came from.</param>
    /// <param name="member">The log of the member whose handler saw it.</param>
    public void Observe(int index, int step, int partition, MemberLog member)
    {
        member.Handled++;
        int mask = _seen[index];
        int bit = 1 << step;
        if ((mask & bit) != 0)
        {
            member.Duplicates++;
            return;
        }

        if (mask >> (step + 1) != 0)
        {
            member.Late++;
        }

        _seen[index] = (byte)(mask | bit);
        byte seenOn = _partitionOf[index];
        if (seenOn == NoPartition)
        {
            _partitionOf[index] = (byte)partition;
        }
        else if (seenOn != partition)
        {
            member.PartitionMoves++;
        }
    }
}
