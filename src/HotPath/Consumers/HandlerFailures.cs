namespace HotPath.Consumers;

/// <summary>
/// A member's <see cref="ErrorPolicy"/> at work: counts the attempts at each partition's failing event and decides
/// whether to retry it, step over it (skip or dead-letter it) or stop the member.
/// </summary>
/// <remarks>
/// Attempts are counted per partition cursor, so another partition's failure or progress cannot reset them.
/// Thread-safety: the member's thread only.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class HandlerFailures<T>(ConsumerGroupOptions options, string memberId)
    where T : struct
{
    // Per partition cursor: the offset failing there and its attempts so far.
    private readonly Dictionary<ReadCursor<T>, (long Offset, int Attempts)> _failing = new(ReferenceEqualityComparer.Instance);

    /// <summary>What the member does with the failing event.</summary>
    public enum Outcome
    {
        /// <summary>Back off, then hand the same event to the handler again.</summary>
        Retry,

        /// <summary>The event was skipped or dead-lettered and the cursor moved past it.</summary>
        SteppedOver,

        /// <summary>The policy stops the member (<see cref="ErrorAction.StopMember"/>).</summary>
        Stop,
    }

    /// <summary>True when no partition has a failing event.</summary>
    public bool IsEmpty => _failing.Count == 0;

    /// <summary>The cursor moved past its failing event (or left the member): a later failure starts a new count.</summary>
    /// <param name="cursor">The partition's cursor.</param>
    public void Forget(ReadCursor<T> cursor) => _failing.Remove(cursor);

    /// <summary>Applies the policy to the event at the cursor's position, which the handler failed on.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="cursor">Its cursor, positioned at the failing event.</param>
    /// <param name="exception">What the handler threw.</param>
    /// <param name="backoff">For <see cref="Outcome.Retry"/>, how long to wait before the next attempt.</param>
    /// <returns>What to do next.</returns>
    public Outcome OnError(GroupPartition<T> partition, ReadCursor<T> cursor, Exception exception, out TimeSpan backoff)
    {
        ErrorPolicy policy = options.ErrorPolicy;
        long offset = cursor.Position;
        int attempts = _failing.TryGetValue(cursor, out var failing) && failing.Offset == offset ? failing.Attempts + 1 : 1;
        _failing[cursor] = (offset, attempts);
        var error = new HandlerError(options.GroupId, memberId, partition.Id.Topic, partition.Id.Partition, offset, attempts, exception);
        Notify(policy.OnError, error);
        backoff = TimeSpan.Zero;
        if (attempts < policy.MaxAttempts)
        {
            partition.Counters.AddRetried();
            backoff = policy.BackoffAfter(attempts);
            return Outcome.Retry;
        }

        switch (policy.AfterRetries)
        {
            case ErrorAction.Skip:
                partition.Counters.AddSkipped();
                break;
            case ErrorAction.DeadLetter:
                var deadLetters = (Topics.Topic<DeadLetter<T>>)policy.DeadLetterTopic!;
                deadLetters.PublishTo(
                    partition.Id.Partition % deadLetters.PartitionCount,
                    new DeadLetter<T>(cursor.CopyCurrent(), partition.Id.Topic, partition.Id.Partition, offset, options.GroupId, exception, attempts));
                partition.Counters.AddDeadLettered();
                break;
            default:
                return Outcome.Stop;
        }

        Notify(policy.OnSkipped, error);
        cursor.SkipCurrent();
        _failing.Remove(cursor);
        return Outcome.SteppedOver;
    }

    private static void Notify(Action<HandlerError>? callback, HandlerError error)
    {
        try
        {
            callback?.Invoke(error);
        }
        catch (Exception)
        {
            // A throwing callback must not kill the worker; the counters still record the event.
        }
    }
}
