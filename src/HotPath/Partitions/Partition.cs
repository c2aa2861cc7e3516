using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Diagnostics;
using HotPath.Durability;
using HotPath.Internal;
using HotPath.Workers;

namespace HotPath.Partitions;

/// <summary>
/// One partition of a topic: a ring buffer of preallocated slots that holds events in place, with
/// partition-local offsets 0, 1, 2, … that never wrap (<see cref="long"/>).
/// </summary>
/// <typeparam name="T">The event type, stored in place in the slots.</typeparam>
/// <remarks>
/// <para><b>Design.</b> Offset <c>o</c> lives in slot <c>o &amp; mask</c>; its lap is <c>o &gt;&gt; log2(capacity)</c>.
/// Fields and their writers:</para>
/// <list type="bullet">
/// <item><c>_cursor</c>: single-writer mode, the last published offset, written (release) by the one writer
/// after it filled the slots; multi-writer mode, the last <i>claimed</i> offset, advanced by CAS (or by the bias owner's store, see <c>_bias</c>), and each slot's
/// publication is then its own <c>_available</c> entry (the lap of the offset last published there, written with
/// release; -1 before the first).</item>
/// <item><c>_writerNext</c>: single-writer mode only, the writer's reach, the offset after the highest ever claimed
/// (the next offset to claim while no claim was abandoned): announced by the writer before it touches newly claimed
/// slots (see <c>AnnounceReach</c>) and read by lossy readers (see <see cref="WriterReach"/>). It never decreases, also
/// when a claim is abandoned.</item>
/// <item><c>_writerPublished</c>: single-writer mode only, the last published offset, written and read (plain) only by
/// the writer, on a line readers never read. With no abandoned offsets to claim again, an open claim is
/// <c>_writerNext != _writerPublished + 1</c>. Not read from the cursor instead: a reader polling the cursor's line takes
/// it from the writer's core (measured on AMD EPYC: a load of it per claim cost <c>ClaimBatch(256)</c> 40% of its rate or
/// more).</item>
/// <item><c>_writerResume</c>: single-writer mode only, writer-owned and plain, off the hot path: the next offset to
/// claim while below the reach after an abandoned claim gave offsets back, else <c>NoResume</c>; <c>_givenBack</c>, the
/// number of such abandons, a claim's ticket (see <see cref="IsClaimOpen"/>).</item>
/// <item><c>_bias</c>, <c>_ownerClaiming</c>, <c>_ownerFrame</c>: multi-writer mode only, the writer bias: the one thread that has claimed so
/// far moves the cursor with plain stores inside a short section flagged by <c>_ownerClaiming</c>, until a second thread
/// revokes the bias for good; the owner's claims recognise it by the address of its claiming frame (<c>_ownerFrame</c>,
/// written by the owner only; see Partition.Bias.cs).</item>
/// <item><c>_claimAnnounce</c>: single-writer mode only, the highest offset claimed while ungated (never decreases),
/// for a reader that registers concurrently (see <c>WaitForCapacity</c>).</item>
/// <item><c>_gatingCached</c>: the writers' stale copy of the minimum gating sequence (benign race in
/// multi-writer mode: any writer may refresh it, a stale value only sends a writer to the slow path). It only ever
/// holds the minimum of real gating sequences, or a value below every offset.</item>
/// <item><c>_gating</c>: the gating sequences, one per lossless reader (its committed offset, the next offset
/// it needs), copy-on-write under <c>_registrationLock</c>; <c>_retentionFloor</c>, under the same lock.</item>
/// <item><c>_publishWakeNeeded</c>: bits raised by a reader about to park (<c>WakeReaders</c>) and by a writer waiting
/// for another writer's publication (<c>WakeWriters</c>), cleared by the one publisher that wins an exchange on it and
/// wakes them; <c>_writerWakeNeeded</c>: raised by a writer waiting for readers, cleared by the one reader that wins
/// an exchange on it: asymmetric Dekkers, see <see cref="EnterReaderPark"/>, <c>ParkWriter</c> and
/// <c>ParkWriterUntilPublish</c>. Async writers raise both (see <see cref="PublishAsync"/>) and wait in
/// <c>_roomWaiters</c>, under <c>_writerGate</c>.</item>
/// </list>
/// <para><b>Slot ownership.</b> At most one writer owns a slot at a time: the claim of offset <c>o</c> is handed its
/// slot only once the previous occupant <c>o - capacity</c> was published (or abandoned, which publishes a gap). With
/// a lossless reader this follows from gating (below: readers pass published offsets only); without one, a
/// multi-writer claim checks the previous occupants' <c>_available</c> entries before its CAS and waits while one is
/// being filled (a single writer owns every slot anyway). So every offset up to <c>cursor - capacity</c> is published.</para>
/// <para><b>Full and empty.</b> The writer may write offset <c>w</c> only when <c>w - capacity &lt; g</c> for
/// every gating sequence <c>g</c> (the slot's previous event <c>w - capacity</c> was passed by everyone).
/// A reader at <c>r</c> may read up to the last published offset. With no lossless reader the writer is
/// ungated and overwrites the oldest slot (single-writer mode announces each claim in <c>_claimAnnounce</c>,
/// at the cost of one fence per claim, so a reader that registers concurrently knows what is still intact).</para>
/// <para><b>Wrap.</b> Offsets are <see cref="long"/> and never wrap; a lap is stored in an <see cref="int"/> entry and
/// compared for equality only, so its own wrap (after 2^31 laps) is harmless.</para>
/// <para><b>Registration</b> of a reader publishes its sequence at a provisional value that is below anything
/// the writer may still reach, reads the writer's position after a full fence, and only then raises the
/// sequence to its start, under <c>_registrationLock</c>: a writer that cached a gating minimum before the
/// registration cannot have passed the new reader's start (see <see cref="AddGatingSequence(OffsetReset, long?, out long)"/>).</para>
/// <para><b>Gaps</b> (multi-writer abandons) are kept while any reader may still reach them: see
/// <c>GapPruneBoundLocked</c>.</para>
/// <para>Thread-safety: publishing is safe from any thread in <see cref="PublishMode.MultiWriter"/> mode and from
/// one thread at a time in <see cref="PublishMode.SingleWriter"/> mode. Every other public member is safe
/// from any thread.</para>
/// </remarks>
public sealed partial class Partition<T> : IDisposable
    where T : struct
{
    private const int StateOpen = 0;
    private const int StateCompleted = 1;
    private const int StateDisposed = 2;
    private const int ReaderParkBackstopMilliseconds = 200;
    private const long WakeReaders = 1;
    private const long WakeWriters = 2;
    private const long NoResume = -1;

    private static readonly bool s_storesMayReorder =
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is not
            (System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86);

    // A cancelled writer's wake-up (WakeOnCancel): one delegate for every partition of T. The registration itself may
    // allocate; it happens only when a writer parks.
    private static readonly Action<object?> s_pulseWriters = static partition => ((Partition<T>)partition!).PulseWriters();

    private readonly T[] _slots;
    private readonly int[]? _available;
    private readonly GapLog? _gaps;
    private readonly int _mask;
    private readonly int _indexShift;
    private readonly int _capacity;
    private readonly bool _multiWriter;
    private readonly WaitStrategy _writerWait;
    private readonly object _registrationLock = new();
    private readonly object _writerGate = new();

    private PaddedLong _cursor;
    private PaddedLong _writerNext;
    private PaddedLong _writerPublished;
    private PaddedLong _gatingCached;
    private PaddedLong _claimAnnounce;
    private PaddedLong _publishWakeNeeded;
    private PaddedLong _writerWakeNeeded;
    private PaddedLong _publishedHint;
    private PaddedLong _bias;
    private PaddedLong _ownerClaiming;

    private Sequence[] _gating = [];
    private Parker[] _readerParkers = [];
    private long _retentionFloor;
    private long _writerResume = NoResume;
    private long _givenBack;
    private nint _ownerFrame;
    private int _state;

    internal Partition(string topicName, int id, int capacity, PublishMode mode, WaitStrategy writerWait)
        : this(topicName, id, capacity, mode, writerWait, journal: null)
    {
    }

    /// <summary>
    /// Creates a partition; a durable one (<paramref name="journal"/> not null) continues its journal: the first offset
    /// published is the journal's end, and the ring starts empty (older offsets are read from the journal).
    /// </summary>
    /// <param name="topicName">The topic's name.</param>
    /// <param name="id">The partition number.</param>
    /// <param name="capacity">Slots, a power of two.</param>
    /// <param name="mode">Who may publish.</param>
    /// <param name="writerWait">How a writer waits on a full ring.</param>
    /// <param name="journal">The journal of a durable partition, or null.</param>
    /// <param name="propagateTraceContext">Keep a trace context per slot (<see cref="Topics.TopicOptions.PropagateTraceContext"/>).</param>
    internal Partition(
        string topicName, int id, int capacity, PublishMode mode, WaitStrategy writerWait, JournalProgress? journal, bool propagateTraceContext = false)
    {
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "capacity is validated by TopicOptions");
        TopicName = topicName;
        Id = id;
        _capacity = capacity;
        _mask = capacity - 1;
        _indexShift = System.Numerics.BitOperations.Log2((uint)capacity);
        if (journal is not null && JournalStaging.GathersWrites)
        {
            // Pinned (the pinned object heap): the journaller writes batches from the slots with a gather write, by
            // address (InPlaceEvents). A durable topic's event type holds no references, which pinned arrays require.
            _slots = GC.AllocateArray<T>(capacity, pinned: true);
            PinnedSlotsAddress = System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        }
        else
        {
            _slots = new T[capacity];
        }

        Tracing = new PartitionTracing(topicName, id, capacity, propagateTraceContext);
        _multiWriter = mode == PublishMode.MultiWriter;
        _writerWait = writerWait;
        // A durable partition starts where its journal ends, as if offsets [0, start) had been published and read.
        long start = journal?.Journal.EndOffset ?? 0;
        Journal = journal;
        _cursor.Value = start - 1;
        _writerNext.Value = start;
        _writerPublished.Value = start - 1;
        _claimAnnounce.Value = start - 1;
        _publishedHint.Value = start - 1;
        _retentionFloor = start;
        RingStart = start;
        // Ungated at first: a value that sends the first claim to the slow path.
        _gatingCached.Value = long.MinValue / 2;
        if (_multiWriter)
        {
            // Each slot's entry is the lap of the last offset below `start` that maps to it (-1, "published before the
            // first lap", for offsets below 0): the claim of `start + i` then finds its slot's previous occupant published.
            _available = new int[capacity];
            for (int slot = 0; slot < capacity; slot++)
            {
                long previous = start - 1 - ((start - 1 - slot) & _mask);
                _available[slot] = (int)(previous >> _indexShift);
            }

            _gaps = new GapLog();
        }

        AssertInvariants();
    }

    /// <summary>The name of the topic this partition belongs to.</summary>
    public string TopicName { get; }

    /// <summary>The partition number, from 0.</summary>
    public int Id { get; }

    /// <summary>The number of slots; a power of two.</summary>
    public int Capacity => _capacity;

    /// <summary>The publishing mode chosen for the topic.</summary>
    public PublishMode Mode => _multiWriter ? PublishMode.MultiWriter : PublishMode.SingleWriter;

    /// <summary>True once <see cref="Complete"/> or <see cref="Dispose"/> was called. Thread-safety: any thread.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) != StateOpen;

    /// <summary>
    /// The offset the next event will get once everything claimed so far is published: the last published
    /// offset + 1 (Kafka's log end offset). Thread-safety: any thread; a snapshot.
    /// </summary>
    public long EndOffset
    {
        get
        {
            // Acquire reads; the scan (multi-writer) starts at the newest point known to be published: the hint
            // left by earlier scans, or one lap behind the claimed cursor (offset o + capacity is claimed only once o
            // was published or abandoned, gated or not: see ClaimMultiWriter), so everything up to cursor - capacity
            // is published.
            // The claimed cursor bounds the scan: writers that keep publishing never keep it going.
            long claimed = Volatile.Read(ref _cursor.Value);
            long from = Math.Max(Volatile.Read(ref _publishedHint.Value), claimed - _capacity + 1);
            return HighestPublished(Math.Max(0, from), claimed) + 1;
        }
    }

    /// <summary>
    /// The earliest offset still retained for a new reader (Kafka's log start offset): the committed offset
    /// of the slowest lossless reader, or with none the oldest slot the writer has not reused; for a durable partition, the
    /// first offset its journal retains. Thread-safety: any thread; a snapshot.
    /// </summary>
    public long StartOffset
    {
        get
        {
            lock (_registrationLock)
            {
                return RetainedStartLocked(_gating);
            }
        }
    }

    internal bool IsMultiWriter => _multiWriter;

    /// <summary>
    /// Offsets below this are acknowledged: journaled per the topic's <see cref="SyncPolicy"/> on a durable topic; on an
    /// in-memory topic, the end offset. Thread-safety: any thread; a snapshot.
    /// </summary>
    public long AcknowledgedEnd => Journal?.Acknowledged ?? EndOffset;

    /// <summary>Waits until <paramref name="offset"/> is acknowledged (see <see cref="AcknowledgedEnd"/>).</summary>
    /// <param name="offset">A published offset.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>False when <paramref name="timeout"/> passed first.</returns>
    /// <exception cref="JournalException">The journal failed: the offset will never be acknowledged by this process.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public bool WaitAcknowledged(long offset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (offset < 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(offset), "must be a published offset (at least 0)", offset);
        }

        if (Journal is null)
        {
            // In memory, published is acknowledged: no wait.
            return EndOffset > offset;
        }

        return Journal.WaitAcknowledged(offset, timeout, cancellationToken);
    }

    /// <summary>
    /// The first offset this process published into the ring: 0, or a durable partition's journal end at open. The slots
    /// of lower offsets hold nothing (a lossy reader never starts below it; lossless readers read the journal).
    /// </summary>
    internal long RingStart { get; }

    /// <summary>The journal of a durable partition (see <see cref="DurabilityOptions"/>), else null.</summary>
    internal JournalProgress? Journal { get; }

    internal GapLog? Gaps => _gaps;

    internal int IndexShift => _indexShift;

    /// <summary>Marks the partition complete: publishing throws from now on; readers drain what was published.</summary>
    /// <remarks>Thread-safety: any thread; idempotent.</remarks>
    public void Complete()
    {
        // CAS: completion must not overwrite Disposed.
        Interlocked.CompareExchange(ref _state, StateCompleted, StateOpen);
        WakeAll();
    }

    /// <summary>Completes the partition and releases every waiting writer with <see cref="ObjectDisposedException"/>.</summary>
    /// <remarks>Thread-safety: any thread; idempotent; never blocks.</remarks>
    public void Dispose()
    {
        // Release: writers that read Disposed in their wait loop stop waiting and throw.
        Volatile.Write(ref _state, StateDisposed);
        WakeAll();
    }

    /// <summary>The partition's span names, tag and optional per-slot trace contexts.</summary>
    internal PartitionTracing Tracing { get; }

    internal ref T SlotRef(long offset) => ref _slots[(int)offset & _mask];

    /// <summary>The slot array, for dispatch loops that keep it in a local.</summary>
    internal T[] Slots => _slots;

    /// <summary>The address of the first slot when the slot array is pinned (a durable partition where the journal gathers writes), else 0.</summary>
    internal nint PinnedSlotsAddress { get; }

    /// <summary>The slots of offsets <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1, split where the run wraps.</summary>
    internal SlotRun<T> SlotsOf(long first, int count) => new(_slots, first, count);

    internal Span<T> SlotSpan(long offset, int count) => _slots.AsSpan((int)offset & _mask, count);

    /// <summary>Publishes [first, last]; called by claims. Tracing first (see <see cref="PartitionTracing"/>): its trace contexts are written before the release.</summary>
    internal void PublishCore(long first, long last)
    {
        if (Tracing.IsActive)
        {
            PublishTraced(first, last);
            return;
        }

        ReleaseCore(first, last);
    }

    /// <summary>
    /// <see cref="PublishCore"/> while tracing is active, out of line: with the call and the release behind one branch,
    /// nothing of the publish path is live across a call, so the inlined publish keeps its offsets in registers (a call
    /// followed by the release made the JIT save the offset to the stack on every publish: one store more per event).
    /// </summary>
    /// <remarks>
    /// A listener is the application's code, and may throw from inside the send span's start. The events are in their
    /// slots and their claim is spent by then (a claim marked itself published, a transaction recorded the range), so
    /// they are released all the same: otherwise the partition would wait forever for offsets nobody publishes. The
    /// listener's exception then comes out of the publish, and the thread's current span, which the runtime set to the
    /// started span before it called the listener, is put back.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PublishTraced(long first, long last)
    {
        Activity? current = Activity.Current;
        try
        {
            Tracing.OnPublish(first, last);
        }
        catch
        {
            HotPathTracing.RestoreCurrent(current);
            throw;
        }
        finally
        {
            ReleaseCore(first, last);
        }
    }

    /// <summary>Makes [first, last] visible to readers (events, or the gaps of an abandoned claim).</summary>
    /// <remarks>Inlined: the publish path keeps the one body it had before the tracing branch was put in front of it.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseCore(long first, long last)
    {
        if (_multiWriter)
        {
            int[] available = _available!;
            for (long offset = first; offset <= last; offset++)
            {
                // Release: the slot's contents, written before this call, are visible to a reader that
                // acquires this entry (HighestPublished). Pairs with its Volatile.Read of the same entry.
                Volatile.Write(ref available[(int)offset & _mask], (int)(offset >> _indexShift));
            }
        }
        else
        {
            _writerPublished.Value = last;
            // Release: the slots up to `last` are visible to any reader that acquires the cursor (HighestPublished).
            Volatile.Write(ref _cursor.Value, last);
        }

        // Asymmetric Dekker, fast side: no fence here. A reader about to park (a writer waiting for a previous lap's
        // occupant) raises its bit of the flag and then runs a process-wide barrier before its re-check
        // (EnterReaderPark, ParkWriterUntilPublish): if this load misses the flag, that barrier has made the
        // publication above visible to the re-check. The flag's line is written only when a thread parks and when the
        // one publisher that wakes it clears the flag, so this is an L1 hit while readers are busy, and a parked
        // thread costs one wake-up, not one per publish until it runs again.
        if (Volatile.Read(ref _publishWakeNeeded.Value) != 0)
        {
            WakeParked();
        }
    }

    /// <summary>
    /// True while the claim that starts at <paramref name="first"/> (with <paramref name="ticket"/>) is neither published
    /// nor abandoned. Claims are structs, and a copy (<c>using (claim)</c> copies its variable) does not see what another
    /// copy did: their Publish and Dispose ask the partition. Called on the claiming thread.
    /// </summary>
    internal bool IsClaimOpen(long first, long ticket)
    {
        if (!_multiWriter)
        {
            // Writer-owned fields read by the writer: exact. A single writer has one claim open at a time (ClaimCore throws
            // otherwise), published in offset order. So a claim is open while nothing from its first offset on was
            // published (_writerPublished, the last published offset, never goes back) and no abandon gave offsets back
            // since it was made: its ticket is the count of give-backs when it was made (offsets given back are claimed
            // again, so they do not identify a claim; the count does). A claim made after it in the same count starts
            // past its end, which only a publish of it or an abandon allows. Two loads, no store per claim.
            return ticket == _givenBack && _writerPublished.Value == first - 1;
        }

        // The slot of `first` is ours until we publish it (slot ownership: nobody claims first + capacity before
        // then), so its entry is still the previous lap's; our own publish (or the abandon's) wrote lap(first), and
        // later laps only raise it. Reading our own earlier write needs no ordering; the read is volatile so the JIT
        // keeps it. Laps compare by wrapping difference.
        int entry = Volatile.Read(ref _available![(int)first & _mask]);
        return unchecked(entry - (int)(first >> _indexShift)) < 0;
    }

    /// <summary>
    /// The ticket of a new claim: single writer, the writer-owned count of abandons that gave offsets back (plain), which
    /// tells a claim from an earlier one of the same offsets (see <see cref="IsClaimOpen"/>); multi-writer, 0 (offsets are
    /// never claimed twice in a lap).
    /// </summary>
    internal long CurrentClaimTicket() => _multiWriter ? 0 : _givenBack;

    /// <summary>Abandons an unpublished claim [first, last] (an exception while filling it).</summary>
    internal void AbandonCore(long first, long last)
    {
        if (!_multiWriter)
        {
            // Nothing was published: give the offsets back to the next claim (writer-owned, plain; see ClaimGivenBack).
            // The announced reach stays: the abandoned fill may have written part of the slots, so lossy readers must
            // go on treating their previous occupants as overwritten.
            Debug.Assert(IsClaimOpen(first, _givenBack), "single-writer claims are abandoned in order");
            _writerResume = first;
            _givenBack++;
            return;
        }

        // Multi-writer: other writers may already have claimed past us, so the offsets cannot be returned.
        // Reset the slots (no garbage is ever readable), record the gaps, then publish them so readers move on.
        // Under the registration lock, so that no reader registers between the bound below and the gaps' pruning.
        lock (_registrationLock)
        {
            long pruneBelow = GapPruneBoundLocked();
            for (long offset = first; offset <= last; offset++)
            {
                _slots[(int)offset & _mask] = default;
            }

            _gaps!.Add(first, last, pruneBelow);
        }

        // A gap is no event: no send span, no trace context.
        ReleaseCore(first, last);
    }

    // ------------------------------------------------------------------ reading (for readers and groups)

    /// <summary>
    /// The highest offset published contiguously from <paramref name="from"/> on, or <c>from - 1</c> when
    /// <paramref name="from"/> is not yet published. A reader may read every slot up to the result: the acquire
    /// reads below pair with the writers' release writes in <see cref="PublishCore"/>.
    /// </summary>
    internal long HighestPublished(long from) => HighestPublished(from, long.MaxValue);

    /// <summary>
    /// Like <see cref="HighestPublished(long)"/>, but never looks past <paramref name="limit"/>: a multi-writer scan then
    /// costs at most what the caller will read.
    /// </summary>
    internal long HighestPublished(long from, long limit)
    {
        if (!_multiWriter)
        {
            // Acquire: the slots up to the cursor are filled.
            return Math.Min(Volatile.Read(ref _cursor.Value), limit);
        }

        // Multi-writer: the availability entries alone, not the claimed cursor. Every claim CASes the cursor, and a reader
        // polling its line takes it from the writer's core on each poll: the writer's next locked CAS then waits for the
        // line to come back (tens of ns per event, where a plain store into a shared line costs the writer nothing but
        // a store-buffer entry). The cursor bounds nothing here: an offset above it was never claimed in its lap, so its
        // entry holds an earlier lap (slot ownership: see ClaimMultiWriter) and the scan stops there as it stops at any
        // offset not yet published.
        int[] available = _available!;
        long offset = from;
        while (offset <= limit
            // Acquire: pairs with the release write of this entry in PublishCore.
            && Volatile.Read(ref available[(int)offset & _mask]) == (int)(offset >> _indexShift))
        {
            offset++;
        }

        RaisePublishedHint(from, offset - 1);
        return offset - 1;
    }

    /// <summary>
    /// Leaves <paramref name="published"/>, the end of a scan from <paramref name="from"/>, as the hint where
    /// <see cref="EndOffset"/>'s scan may start, when it is a published end: only if everything below
    /// <paramref name="from"/> is known to be published, that is below the hint itself or up to one lap behind the
    /// claimed cursor (slot ownership: see ClaimMultiWriter). A lapped lossy reader scans from above an open claim, and
    /// its scan's end is not a published end.
    /// </summary>
    private void RaisePublishedHint(long from, long published)
    {
        // EndOffset starts its scan here, and Latest registrations, seeks and the low watermark use EndOffset: the hint
        // must never be above the true published end. Every value written is one (the check below), and published
        // offsets stay published. Benign race: racing writes may lose an update or lower the hint, which only makes
        // the next scan longer. The claimed cursor is read (acquire) only when the scan did not start next to the hint,
        // rarely: a reader that goes on from where its last scan ended starts there (see HighestPublished on that line).
        long hint = Volatile.Read(ref _publishedHint.Value);
        if (published > hint && (from <= hint + 1 || from <= Volatile.Read(ref _cursor.Value) - _capacity + 1))
        {
            Volatile.Write(ref _publishedHint.Value, published);
        }
    }

    /// <summary>
    /// Journaller thread: deletes the journal's oldest segments that retention allows, never one holding an offset at or
    /// above <paramref name="keepFrom"/> (the lowest offset a stored group commit still needs) or any gating sequence. Under
    /// the registration lock: a reader registering meanwhile reads the journal's start after the deletion.
    /// </summary>
    internal int RetainJournal(long keepFrom, long? maxBytes, TimeSpan? maxAge)
    {
        JournalProgress journal = Journal!;
        lock (_registrationLock)
        {
            long floor = Math.Min(keepFrom, MinGating(_gating, EndOffset));
            int deleted = journal.Journal.ApplyRetention(floor, maxBytes, maxAge);
            if (deleted != 0)
            {
                journal.SetStart(journal.Journal.StartOffset);
            }

            return deleted;
        }
    }

    /// <summary>
    /// Journaller thread: offsets below <paramref name="end"/> are acknowledged. Wakes the writers waiting for that and
    /// the readers parked on this partition that read only journaled events.
    /// </summary>
    internal void Acknowledge(long end)
    {
        Journal!.Acknowledge(end);
        // Asymmetric Dekker, fast side, as in PublishCore: a reader about to park raised the flag and then ran a
        // process-wide barrier before its re-check, so either this load sees the flag or the re-check sees `end`.
        if (Volatile.Read(ref _publishWakeNeeded.Value) != 0)
        {
            WakeParked();
        }
    }

    /// <summary>
    /// Journaller thread: the journal failed. Records the fault (waiters for acknowledgement throw it) and wakes the
    /// writers parked on the full ring: the journaller gated it, so it will not drain; they throw it too.
    /// </summary>
    internal void FailJournal(Exception fault)
    {
        Journal!.Fail(fault);
        WakeAll();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowJournalFault()
    {
        Exception fault = Journal!.Fault!;
        throw new JournalException(
            Journal.Journal.Directory,
            $"partition {Id} of '{TopicName}' cannot take more events: its journal failed and stopped ({fault.Message}); reopen the topic once the cause is fixed",
            fault);
    }

    // ------------------------------------------------------------------ helpers

    // Out of line: the message's string building would otherwise be inlined into every Publish, whose frame would then
    // zero the interpolation handler's locals on each call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowUnpublishedClaim() =>
        ThrowHelper.InvalidOperation(
            $"partition {Id} of '{TopicName}' has an unpublished claim at offset {_writerPublished.Value + 1}: publish or dispose it before claiming again (single-writer mode allows one claim at a time)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowClosed()
    {
        if (Volatile.Read(ref _state) == StateDisposed)
        {
            ThrowHelper.ObjectDisposed($"topic '{TopicName}'");
        }

        ThrowHelper.TopicCompleted(TopicName);
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_capacity == _slots.Length, "slots match capacity");
        // The end offset, not a scan from the hint: an ungated writer may have lapped the hint's slot since, and a scan
        // from there would stop early.
        long published = EndOffset - 1;
        foreach (Sequence sequence in _gating)
        {
            Debug.Assert(sequence.Read() <= published + 1, "no reader is ahead of the writer");
        }
    }
}
