namespace HotPath.Tests.Consumers;

/// <summary>
/// An event that shows when it was torn: a published event always has <see cref="Check"/> = ~<see cref="Value"/>, and
/// the tests write a partial fill (Value 999, Check -1) into claims they abandon, so any other pair a handler sees is
/// an event overwritten mid-read or an abandoned slot handed out as an event (default(T) has Check 0 = ~-1 only for
/// Value -1, which the tests never publish).
/// </summary>
public struct CheckedEvent
{
    public long Value;
    public long Check;

    public CheckedEvent(long value)
    {
        Value = value;
        Check = ~value;
    }

    /// <summary>What a half-written, then abandoned claim holds.</summary>
    public static CheckedEvent Torn => new() { Value = 999, Check = -1 };

    public readonly bool IsIntact => Check == ~Value;

    public override readonly string ToString() => IsIntact ? $"{Value}" : $"torn(Value={Value}, Check={Check})";
}
