namespace HotPath.Transactions;

/// <summary>
/// The transaction was aborted before it could commit (it timed out, or the consumer group fenced the member whose
/// offsets it carried): none of its events reaches a read-committed reader, none of its offsets was applied.
/// Abort and retry the work in a new transaction.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed class TransactionAbortedException : TransactionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="transactionalId">The publisher's transactional id.</param>
    /// <param name="epoch">The publisher's epoch.</param>
    /// <param name="state">The publisher's state when the call failed.</param>
    /// <param name="reason">Why the transaction was aborted.</param>
    public TransactionAbortedException(string transactionalId, int epoch, TransactionState state, string reason)
        : base(transactionalId, epoch, state, $"the transaction was aborted: {reason}; none of its events or offsets took effect")
    {
        Reason = reason;
    }

    /// <summary>Why the transaction was aborted.</summary>
    public string Reason { get; }
}
