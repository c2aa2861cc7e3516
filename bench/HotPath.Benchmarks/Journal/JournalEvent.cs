namespace HotPath.Benchmarks.Journal;

/// <summary>
/// A 64-byte event of eight longs, each derived from the sequence number (its offset), so a reader can check every
/// byte of an event read back from the journal.
/// </summary>
public struct JournalEvent
{
    /// <summary>Added to the sequence number once more per field.</summary>
    private const long Step = 0x0101_0101_0101_0101;

    /// <summary>The sequence number.</summary>
    public long V0;

    /// <summary>V0 + Step.</summary>
    public long V1;

    /// <summary>V0 + 2 Step.</summary>
    public long V2;

    /// <summary>V0 + 3 Step.</summary>
    public long V3;

    /// <summary>V0 + 4 Step.</summary>
    public long V4;

    /// <summary>V0 + 5 Step.</summary>
    public long V5;

    /// <summary>V0 + 6 Step.</summary>
    public long V6;

    /// <summary>The complement of the sequence number.</summary>
    public long V7;

    /// <summary>The event of sequence number <paramref name="sequence"/>.</summary>
    public static JournalEvent Create(long sequence) => new()
    {
        V0 = sequence,
        V1 = sequence + Step,
        V2 = sequence + (2 * Step),
        V3 = sequence + (3 * Step),
        V4 = sequence + (4 * Step),
        V5 = sequence + (5 * Step),
        V6 = sequence + (6 * Step),
        V7 = ~sequence,
    };

    /// <summary>True when every field of <paramref name="e"/> is the one <see cref="Create"/> gives <paramref name="sequence"/>.</summary>
    public static bool IsIntact(in JournalEvent e, long sequence) =>
        e.V0 == sequence && e.V1 == sequence + Step && e.V2 == sequence + (2 * Step) && e.V3 == sequence + (3 * Step)
        && e.V4 == sequence + (4 * Step) && e.V5 == sequence + (5 * Step) && e.V6 == sequence + (6 * Step) && e.V7 == ~sequence;
}
