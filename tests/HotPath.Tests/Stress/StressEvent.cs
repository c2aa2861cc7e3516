namespace HotPath.Tests.Stress;

/// <summary>
/// The mixed stress test's event: a key, the key's sequence number, and a value derived from both with its complement
/// as a check, so that a handler can tell an intact event from a torn one, a half-filled claim (<see cref="Torn"/>) or
/// an abandoned slot handed out as an event (default: Check 0 is not ~0).
/// </summary>
public struct StressEvent
{
    public int Key;
    public long Sequence;
    public long Value;
    public long Check;

    /// <summary>What a claim holds while it is being filled (or when it is abandoned half filled).</summary>
    public static StressEvent Torn => new() { Key = -1, Sequence = -1, Value = 999, Check = -1 };

    public readonly bool IsIntact => Check == ~Value && Value == ValueOf(Key, Sequence);

    public static StressEvent Create(int key, long sequence) =>
        new() { Key = key, Sequence = sequence, Value = ValueOf(key, sequence), Check = ~ValueOf(key, sequence) };

    private static long ValueOf(int key, long sequence) => (sequence * 1_000_003L) + key + 1;
}
