namespace HotPath.Transactions;

/// <summary>
/// A transactional publisher was used against its state (commit with no open transaction, publish outside a
/// transaction, offsets it cannot commit, a transaction too large for a ring); the message names the transactional id,
/// its epoch and state, and what to do.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public class TransactionException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="transactionalId">The publisher's transactional id.</param>
    /// <param name="epoch">The publisher's epoch.</param>
    /// <param name="state">The publisher's state when the call failed.</param>
    /// <param name="message">What happened and what to do.</param>
    public TransactionException(string transactionalId, int epoch, TransactionState state, string message)
        : base($"transactional id '{transactionalId}' (epoch {epoch}, state {state}): {message}")
    {
        TransactionalId = transactionalId;
        Epoch = epoch;
        State = state;
    }

    /// <summary>The publisher's transactional id.</summary>
    public string TransactionalId { get; }

    /// <summary>The publisher's epoch.</summary>
    public int Epoch { get; }

    /// <summary>The publisher's state when the call failed.</summary>
    public TransactionState State { get; }
}
