namespace HotPath.CoyoteTests;

/// <summary>
/// A test event whose two fields are written separately (two field stores, each a Coyote scheduling point), so a
/// reader that copies the slot between them gets a torn event: <see cref="IsIntact"/> false.
/// </summary>
internal struct Stamped
{
    public long Value;
    public long Check;

    public readonly bool IsIntact => Check == ~Value;

    public override readonly string ToString() => $"(Value={Value}, Check={Check})";
}
