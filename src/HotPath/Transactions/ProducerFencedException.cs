namespace HotPath.Transactions;

/// <summary>
/// The publisher was fenced: a newer instance with the same transactional id exists (a higher epoch), or the consumer
/// group declared the member that uses it failed. Its open transaction was aborted; it can do nothing more. Kafka's
/// <c>ProducerFencedException</c>.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed class ProducerFencedException : TransactionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="transactionalId">The publisher's transactional id.</param>
    /// <param name="epoch">The fenced publisher's epoch.</param>
    /// <param name="reason">Who fenced it.</param>
    public ProducerFencedException(string transactionalId, int epoch, string reason)
        : base(transactionalId, epoch, TransactionState.Fenced, $"the publisher was fenced: {reason}; create a new publisher")
    {
        Reason = reason;
    }

    /// <summary>Who fenced the publisher.</summary>
    public string Reason { get; }
}
