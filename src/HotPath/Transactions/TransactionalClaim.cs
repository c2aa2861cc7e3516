using HotPath.Partitions;

namespace HotPath.Transactions;

/// <summary>
/// A slot claimed inside a transaction (<see cref="TransactionalPublisher.Claim{T}"/>), to fill in place and publish.
/// Use it in a <c>using</c> statement; disposing it unpublished abandons it, as an <see cref="EventClaim{T}"/>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Publishing makes the event part of the transaction: read-committed readers see it once the transaction
/// commits. Thread-safety: use a claim on the thread that made it.</remarks>
public ref struct TransactionalClaim<T>
    where T : struct
{
    private readonly TransactionalPublisher? _publisher;
    private readonly TransactionWrites? _writes;
    private readonly Partition<T>? _partition;
    private readonly long _ticket;
    private readonly long _word;
    private bool _done;

    internal TransactionalClaim(TransactionalPublisher publisher, TransactionWrites writes, Partition<T> partition, long offset, long ticket, long word)
    {
        _word = word;
        _publisher = publisher;
        _writes = writes;
        _partition = partition;
        Offset = offset;
        _ticket = ticket;
    }

    /// <summary>The slot to fill. It still holds whatever event last used it: overwrite every field.</summary>
    public readonly ref T Event => ref _partition!.SlotRef(Offset);

    /// <summary>The offset the event gets.</summary>
    public readonly long Offset { get; }

    /// <summary>The partition number.</summary>
    public readonly int Partition => _partition?.Id ?? -1;

    /// <summary>Publishes the event in the transaction. At most once.</summary>
    /// <exception cref="TransactionAbortedException">The coordinator aborted the transaction meanwhile: the event is
    /// published as aborted (read-committed readers never see it).</exception>
    public void Publish()
    {
        if (_done || _partition is null || !_partition.IsClaimOpen(Offset, _ticket))
        {
            Internal.ThrowHelper.InvalidOperation("this claim was already published or abandoned");
        }

        _done = true;
        _publisher!.PublishIn(_partition, _writes!, Offset, Offset, _word);
    }

    /// <summary>Abandons the claim if it was not published (see <see cref="EventClaim{T}"/>).</summary>
    public void Dispose()
    {
        if (!_done && _partition is not null && _partition.IsClaimOpen(Offset, _ticket))
        {
            _done = true;
            _partition.AbandonCore(Offset, Offset);
        }
    }
}
