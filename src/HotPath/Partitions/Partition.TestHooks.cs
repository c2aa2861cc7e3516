namespace HotPath.Partitions;

/// <summary>Test hooks (internal, reached through InternalsVisibleTo).</summary>
public sealed partial class Partition<T>
{
    /// <summary>
    /// The longest a parked writer sleeps without a wake-up (<c>ParkWriter</c>, <c>ParkWriterUntilPublish</c>): a safety
    /// net, 200 ms. A test sets <see cref="Timeout.Infinite"/> so that a lost wake-up hangs the writer instead of
    /// costing it 200 ms: the park protocols must then wake every parked writer on their own. Set before the writers run.
    /// </summary>
    internal int WriterParkBackstopMilliseconds { get; set; } = 200;

    /// <summary>The number of registered reader parkers: one per blocking member that owns this partition.</summary>
    internal int ReaderParkerCount => Volatile.Read(ref _readerParkers).Length;

    /// <summary>
    /// Stands in for a bias owner preempted inside its claim section (see Partition.Bias.cs): raises or clears the
    /// section's flag, so that a revoking writer has to wait for it. Tests only; the owner must not be claiming meanwhile.
    /// </summary>
    internal void HoldOwnerSection(bool held) => Volatile.Write(ref _ownerClaiming.Value, held ? 1 : 0);

    /// <summary>The frame the bias owner recorded (see "Who is the owner" in Partition.Bias.cs), 0 when none.</summary>
    internal nint OwnerFrameForTest => _ownerFrame;

    /// <summary>Whether a claim from <paramref name="frame"/> takes the owner's fast path (frame check only).</summary>
    internal bool IsOwnerFrameForTest(nint frame) => IsOwnerFrame(frame);

    /// <summary>The calling thread's frame as the claim's fast path computes it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static nint CurrentFrameForTest() => CurrentFrame();
}
