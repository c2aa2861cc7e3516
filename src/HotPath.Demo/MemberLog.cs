namespace HotPath.Demo;

/// <summary>
/// What one member's handler saw, as counters. Written only by that member's thread (plain writes, no sharing);
/// read by the view while running (a stale value is fine) and by the verification after the member's thread ended.
/// </summary>
internal sealed class MemberLog
{
    private bool _crashRequested;

    public MemberLog(string memberId, int partitionCount)
    {
        MemberId = memberId;
        FirstOffset = new long[partitionCount];
        Array.Fill(FirstOffset, -1L);
    }

    public string MemberId { get; }

    /// <summary>Events handed to the handler, duplicates included.</summary>
    public long Handled;

    /// <summary>Events seen a second time (at-least-once redelivery).</summary>
    public long Duplicates;

    /// <summary>Events that arrived after a later event of the same order.</summary>
    public long Late;

    /// <summary>Events that arrived on another partition than earlier events of the same order.</summary>
    public long PartitionMoves;

    /// <summary>Units of the placed orders this member acted on.</summary>
    public long UnitsPlaced;

    /// <summary>Handled events by <see cref="OrderEventType"/>.</summary>
    public readonly long[] ByType = new long[4];

    /// <summary>The first offset this member handled on each partition, or -1: where it started (or resumed).</summary>
    public readonly long[] FirstOffset;

    /// <summary>Events since the last simulated pause (see <see cref="OrderHandler.SleepEvery"/>).</summary>
    public int SinceSleep;

    /// <summary>True once a crash was requested: the handler throws on its next event.</summary>
    public bool CrashRequested => Volatile.Read(ref _crashRequested);

    /// <summary>Makes the handler throw on its next event. Any thread.</summary>
    public void RequestCrash() =>
        // Release: pairs with the handler's acquire read; the handler throws within one event of seeing it.
        Volatile.Write(ref _crashRequested, true);
}
