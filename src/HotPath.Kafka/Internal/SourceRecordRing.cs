using Confluent.Kafka;

namespace HotPath.Kafka.Internal;

/// <summary>
/// Per local partition of a <see cref="KafkaSource{T}"/>: the Kafka record behind each local offset, one entry per ring
/// slot (<c>local offset &amp; mask</c>), written by the source's consume thread before the event's publication and read by
/// local handlers through <c>KafkaSource.TryGetRecord</c>.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> Each entry is a sequence lock: the writer (the consume thread, the only one) sets
/// <c>Sequence</c> to -1 with a full fence, writes the fields, then releases <c>Sequence</c> = the local offset. A reader
/// reads <c>Sequence</c>, the fields and <c>Sequence</c> again, each with an acquire read (so none of them moves past the
/// next), and keeps the fields only when both reads gave the event's offset: then no write to the entry overlapped.
/// Entries are written before the publication's release, so a handler of the event finds its entry written; a lossless
/// reader's uncommitted offset keeps the writer off the slot, and so off its entry, for the whole call; a lossy reader
/// lapped by the writer, or an event some other publisher wrote into the topic, finds another offset and gets nothing.
/// A reader that commits past the event first (a manual commit) may find it reused.</para>
/// <para>The entry keeps the consumer's key array and headers object (allocated per record by Confluent anyway), never
/// the value: a slot's entry holds its record's key and headers until the slot is reused.</para>
/// <para>Thread-safety: <see cref="Write"/> on the consume thread; <see cref="TryRead"/> from any thread.</para>
/// </remarks>
internal sealed class SourceRecordRing
{
    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly string _kafkaTopic;
    private readonly int _partition;

    public SourceRecordRing(string kafkaTopic, int partition, int capacity)
    {
        _kafkaTopic = kafkaTopic;
        _partition = partition;
        _mask = capacity - 1;
        _entries = new Entry[capacity];
        for (int i = 0; i < capacity; i++)
        {
            // No offset is -1: an entry never written holds no record (plain: the source is not started yet).
            _entries[i].Sequence = -1;
        }
    }

    /// <summary>Records that local offset <paramref name="localOffset"/> is Kafka record <paramref name="record"/>. Consume thread.</summary>
    public void Write(long localOffset, ConsumeResult<byte[]?, byte[]> record)
    {
        ref Entry entry = ref _entries[(int)localOffset & _mask];
        // Full fence: the invalidation is visible before any field below changes (a reader that sees a new field sees -1
        // or the new offset on its second read).
        Interlocked.Exchange(ref entry.Sequence, -1);
        entry.Key = record.Message.Key;
        entry.Headers = record.Message.Headers;
        entry.TimestampMs = record.Message.Timestamp.UnixTimestampMs;
        entry.TimestampType = (int)record.Message.Timestamp.Type;
        entry.KafkaOffset = record.Offset.Value;
        // Release: the fields above are visible to a reader that acquires this offset.
        Volatile.Write(ref entry.Sequence, localOffset);
    }

    /// <summary>The record behind <paramref name="localOffset"/>, when the entry still holds it.</summary>
    public bool TryRead(long localOffset, out KafkaRecord record)
    {
        ref Entry entry = ref _entries[(int)localOffset & _mask];
        // Acquire reads throughout (see the type's remarks): none of the reads below moves before the one above it.
        long before = Volatile.Read(ref entry.Sequence);
        byte[]? key = Volatile.Read(ref entry.Key);
        Headers? headers = Volatile.Read(ref entry.Headers);
        long timestampMs = Volatile.Read(ref entry.TimestampMs);
        int timestampType = Volatile.Read(ref entry.TimestampType);
        long kafkaOffset = Volatile.Read(ref entry.KafkaOffset);
        long after = Volatile.Read(ref entry.Sequence);
        if (before != localOffset || after != localOffset)
        {
            record = default;
            return false;
        }

        record = new KafkaRecord(_kafkaTopic, _partition, kafkaOffset, key, headers, new Timestamp(timestampMs, (TimestampType)timestampType));
        return true;
    }

    private struct Entry
    {
        public long Sequence;
        public byte[]? Key;
        public Headers? Headers;
        public long TimestampMs;
        public int TimestampType;
        public long KafkaOffset;
    }
}
