using System.Runtime.InteropServices;
using HotPath.Durability;

namespace HotPath.Consumers;

/// <content>
/// Durable partitions: a reader that starts below the ring (a group resuming at its committed offset after a restart,
/// or starting at the journal's start) reads those offsets from the partition's journal, copied into a buffer of its own,
/// until it reaches the ring; a reader declared journaled-only never reads past what the journal acknowledged.
/// </content>
internal sealed partial class ReadCursor<T>
{
    private const int JournalChunk = 256;

    /// <summary>
    /// Offsets from the position up to this one (exclusive) are read from the journal, not the ring; long.MinValue for a
    /// cursor that never does. Fixed at registration: the cursor's gating sequence keeps the writers from reusing the ring
    /// slots at and above it until the cursor passed them (see <c>Partition.AddGatingSequence</c>).
    /// </summary>
    private long _journalUntil = long.MinValue;

    /// <summary>True for a reader that reads only offsets below the journal's acknowledged end.</summary>
    private bool _journaledOnly;

    private T[]? _journalBuffer;
    private Exception? _journalFailure;

    /// <summary>True while the next offset to hand out is read from the journal.</summary>
    private bool ReadsJournal => _position < _journalUntil;

    /// <summary>The cap that journaled-only reading puts on <paramref name="last"/>, the ring's readable end.</summary>
    private long JournalCap(long last)
    {
        // Acquire (JournalProgress.Acknowledged): the offsets below it were written to the journal, and are published
        // (the journaller read them from the ring), so the ring still holds them: our sequence gates their slots.
        return _journaledOnly ? Math.Min(last, _partition.Journal!.Acknowledged - 1) : last;
    }

    /// <summary>The journal-side prologue of both lossless dispatch loops (see <see cref="BeginDispatch"/>).</summary>
    private (long First, long Last) BeginJournalDispatch(int max)
    {
        long first = _position;
        long last = Math.Min(_journalUntil - 1, first + max - 1);
        _dispatchLast = last;
        _dispatching = true;
        return (first, last);
    }

    /// <summary>
    /// Hands up to <paramref name="max"/> offsets read from the journal to <paramref name="handler"/>, one journal run at a
    /// time (the last event of each run is marked end of batch); gaps are stepped over and counted as in the ring.
    /// </summary>
    private int DispatchJournal<THandler>(ref THandler handler, int max)
        where THandler : IEventHandler<T>
    {
        (long first, long last) = BeginJournalDispatch(max);
        try
        {
            T[] buffer = _journalBuffer ??= new T[Math.Min(JournalChunk, _partition.Capacity)];
            int id = _partition.Id;
            long offset = first;
            while (offset <= last && !Volatile.Read(ref _fenced))
            {
                int count = ReadJournalRun(offset, last, buffer);
                if (count == 0)
                {
                    break;
                }

                if (count < 0)
                {
                    offset -= count;
                    _position = offset;
                    continue;
                }

                for (int i = 0; i < count; i++)
                {
                    // Acquire: pairs with the release in Fork, as in DispatchRun.
                    if (Volatile.Read(ref _fenced))
                    {
                        return (int)(_position - first);
                    }

                    _position = offset + i;
                    handler.OnEvent(ref buffer[i], id, offset + i, i == count - 1);
                }

                offset += count;
                _position = offset;
            }
        }
        finally
        {
            _dispatching = false;
        }

        return (int)(_position - first);
    }

    /// <summary>The batch form of <see cref="DispatchJournal{THandler}"/>: one span per journal run.</summary>
    private int DispatchJournalBatch<THandler>(ref THandler handler, int max)
        where THandler : IBatchHandler<T>
    {
        (long first, long last) = BeginJournalDispatch(max);
        try
        {
            T[] buffer = _journalBuffer ??= new T[Math.Min(JournalChunk, _partition.Capacity)];
            long offset = first;
            while (offset <= last && !Volatile.Read(ref _fenced))
            {
                int count = ReadJournalRun(offset, last, buffer);
                if (count == 0)
                {
                    break;
                }

                if (count > 0)
                {
                    handler.OnBatch(buffer.AsSpan(0, count), _partition.Id, offset);
                }

                offset += Math.Abs(count);
                _position = offset;
            }
        }
        finally
        {
            _dispatching = false;
        }

        return (int)(_position - first);
    }

    /// <summary>
    /// Reads the journal run at <paramref name="offset"/> (at most up to <paramref name="last"/>): the number of events
    /// copied into <paramref name="buffer"/>, minus the number of gap offsets stepped over (counted), or 0 once the topic
    /// closed its journal. A failed read (a damaged batch) is marked as the journal's, not the handler's
    /// (<see cref="TakeJournalFailure"/>).
    /// </summary>
    private int ReadJournalRun(long offset, long last, T[] buffer)
    {
        int room = (int)Math.Min(buffer.Length, last - offset + 1);
        JournalRun run;
        try
        {
            if (!_partition.Journal!.TryRead(offset, MemoryMarshal.AsBytes(buffer.AsSpan(0, room)), out run))
            {
                return 0;
            }
        }
        catch (Exception e)
        {
            _journalFailure = e;
            throw;
        }

        if (run.IsGap)
        {
            int gaps = (int)Math.Min(run.Count, last - offset + 1);
            // Owner-only write, read by monitors: release so a reader never sees a torn value.
            Volatile.Write(ref _gaps, _gaps + gaps);
            return -gaps;
        }

        return Math.Min(run.Count, room);
    }

    /// <summary>
    /// The event at <paramref name="offset"/> from the journal: 1 with the event, -1 for a gap (counted), 0 once the
    /// journal is closed.
    /// </summary>
    private int TryReadJournal(long offset, out T @event)
    {
        T[] buffer = _journalBuffer ??= new T[Math.Min(JournalChunk, _partition.Capacity)];
        int read = ReadJournalRun(offset, offset, buffer);
        @event = read > 0 ? buffer[0] : default;
        return Math.Sign(read);
    }

    /// <summary>
    /// True when <paramref name="exception"/>, thrown by a dispatch, came from reading the journal (a damaged batch), not
    /// from the handler: the member faults with it instead of handing it to the error policy. Clears the mark. Reading thread.
    /// </summary>
    public bool TakeJournalFailure(Exception exception)
    {
        bool ours = ReferenceEquals(_journalFailure, exception);
        _journalFailure = null;
        return ours;
    }
}
