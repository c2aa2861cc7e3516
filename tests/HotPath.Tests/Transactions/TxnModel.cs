using HotPath.Transactions;

namespace HotPath.Tests.Transactions;

/// <summary>
/// The sequential model of <see cref="TxnModelRun"/>: per partition the list of its offsets, each a plain event, an event
/// of a transaction (whose status is the transaction's) or a gap (an abandoned multi-writer claim); per transaction its
/// status and its first claimed offset on each partition; per publisher instance its state; per reader its position,
/// committed offset and the aborted offsets it stepped over. What a reader must see is computed from these alone.
/// </summary>
internal static class TxnModel
{
    /// <summary>
    /// False: the span rule is the documented one, at most Capacity offsets from the transaction's first one on a
    /// partition, counted to the next claim's offset (a single writer's abandoned claim gives its offsets back). True
    /// models the defect that counted up to the writer's reach, which stays above given-back offsets (see
    /// <see cref="TransactionModelProperties.Publish_SingleWriterReclaimsAnAbandonedOffsetWithinTheSpan_Succeeds"/>).
    /// </summary>
    internal static readonly bool SpanFromReach = false;

    /// <summary>
    /// True: TryRead commits everything it passed, also the gaps and aborted offsets it stepped over before returning
    /// false. False models the defect that left a drained read-committed reader gating the writer at an aborted
    /// transaction's first offset (see
    /// <see cref="TransactionModelProperties.TryRead_DrainedPastAnAbortedTransaction_NoLongerHoldsTheWriterBack"/>).
    /// </summary>
    internal static readonly bool TryReadCommitsSkippedOffsets = true;

    internal enum Status
    {
        Open,
        Committed,
        Aborted,
    }

    /// <summary>An offset of a partition: <see cref="Txn"/> is null for a plain event or a gap.</summary>
    internal sealed record Entry(long Value, Txn? Txn, bool Gap)
    {
        /// <summary>Not handed to a read-committed reader: a gap, or an event of a transaction that did not commit.</summary>
        public bool SkippedCommitted => Gap || Txn is { Status: not Status.Committed };

        public override string ToString() => Gap ? "gap" : Txn is null ? $"{Value}" : $"{Value}({Txn.Name}:{Txn.Status})";
    }

    internal sealed class Txn(string name)
    {
        public string Name { get; } = name;

        public Status Status { get; set; } = Status.Open;

        /// <summary>The first offset the transaction claimed on each partition (published or not).</summary>
        public Dictionary<Part, long> First { get; } = [];
    }

    internal sealed class Publisher(string id, int epoch)
    {
        public string Id { get; } = id;

        public int Epoch { get; } = epoch;

        public TransactionState State { get; set; } = TransactionState.Ready;

        public Txn? Current { get; set; }

        public string Name => $"{Id}#{Epoch}";

        /// <summary>Ends the open transaction, if any, with <paramref name="status"/>.</summary>
        public void End(Status status)
        {
            if (Current is not null)
            {
                Current.Status = status;
                Current = null;
            }
        }
    }

    internal sealed class Part(int topic, int id, int capacity, bool singleWriter)
    {
        public int Topic { get; } = topic;

        public int Id { get; } = id;

        public int Capacity { get; } = capacity;

        public bool SingleWriter { get; } = singleWriter;

        public List<Entry> Entries { get; } = [];

        /// <summary>The highest offset ever claimed (a single writer's abandoned claims give offsets back below it).</summary>
        public long Reach { get; set; } = -1;

        public List<Reader> Readers { get; } = [];

        /// <summary>Every offset is published at the end of an operation: the end offset, and the next offset to claim.</summary>
        public long End => Entries.Count;

        /// <summary>The first offset of the oldest open transaction here, capped at the end (Kafka's LSO).</summary>
        public long LastStable(IEnumerable<Txn> open) =>
            Math.Min(End, open.Where(t => t.Status == Status.Open && t.First.ContainsKey(this)).Select(t => t.First[this]).DefaultIfEmpty(long.MaxValue).Min());

        /// <summary>True when offsets [End, End + count) may be claimed now: every gating reader committed past their slots' previous occupants.</summary>
        public bool Room(long last) => Readers.Count == 0 || last - Capacity < Readers.Min(r => r.Committed);

        public override string ToString() => $"topic {Topic} partition {Id}";
    }

    internal sealed class Reader(Part part, bool readCommitted, long start, string name)
    {
        public Part Part { get; } = part;

        public bool ReadCommitted { get; } = readCommitted;

        public string Name { get; } = name;

        public long Position { get; set; } = start;

        public long Committed { get; set; } = start;

        public long Aborted { get; set; }

        public bool Closed { get; set; }

        /// <summary>The end of what this reader may read now.</summary>
        public long Readable(IEnumerable<Txn> txns) => ReadCommitted ? Part.LastStable(txns) : Part.End;

        public long Lag(IEnumerable<Txn> txns) => Math.Max(0, Readable(txns) - Committed);

        /// <summary>
        /// TryRead called until <paramref name="maxEvents"/> events were returned (0: until it returns false): each returned
        /// event commits past itself; skipped offsets (gaps, read-committed aborted events) move only the position.
        /// </summary>
        public List<(long Offset, long Value)> TryReads(IEnumerable<Txn> txns, int maxEvents)
        {
            var events = new List<(long, long)>();
            long end = Readable(txns);
            while (Position < end && (maxEvents == 0 || events.Count < maxEvents))
            {
                Entry entry = Part.Entries[(int)Position];
                if (Skip(entry))
                {
                    Position++;
                    continue;
                }

                events.Add((Position, entry.Value));
                Committed = ++Position;
            }

            if (TryReadCommitsSkippedOffsets)
            {
                Committed = Position;
            }

            return events;
        }

        /// <summary>One Poll of up to <paramref name="maxOffsets"/> offsets (0: no limit), committing the position after it.</summary>
        public List<(long Offset, long Value)> Poll(IEnumerable<Txn> txns, int maxOffsets)
        {
            var events = new List<(long, long)>();
            long end = Readable(txns);
            if (maxOffsets != 0)
            {
                end = Math.Min(end, Position + maxOffsets);
            }

            if (end <= Position)
            {
                return events;
            }

            for (; Position < end; Position++)
            {
                Entry entry = Part.Entries[(int)Position];
                if (!Skip(entry))
                {
                    events.Add((Position, entry.Value));
                }
            }

            Committed = Position;
            return events;
        }

        private bool Skip(Entry entry)
        {
            if (entry.Txn is { Status: Status.Open } && ReadCommitted)
            {
                throw new InvalidOperationException($"model: {Name} reached an open transaction's event below the last stable offset");
            }

            bool aborted = ReadCommitted && entry.Txn is { Status: Status.Aborted };
            if (aborted)
            {
                Aborted++;
            }

            return entry.Gap || aborted;
        }
    }
}
