namespace HotPath.Consumers;

/// <summary>
/// A member's <see cref="ErrorPolicy"/> at work: counts the attempts at each partition's failing event and decides
/// whether to retry it, step over it (skip or dead-letter it) or stop the member.
/// </summary>
/// <remarks>
/// Attempts are counted per partition cursor, so another partition's failure or progress cannot reset them. The retry
/// time is kept with them: a control request that wakes the member during a backoff does not shorten it.
/// Thread-safety: the member's thread only.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class HandlerFailures<T>(ConsumerGroupOptions options, string memberId)
    where T : struct
{
    // Per partition cursor: the offset failing there, its attempts so far, when the next attempt may run
    // (Environment.TickCount64 milliseconds; 0 when it may run now), and for a failure recorded ahead of the cursor
    // (RecordAhead) its exception.
    private readonly Dictionary<ReadCursor<T>, (long Offset, int Attempts, long RetryAt, Exception? Ahead)> _failing = new(ReferenceEqualityComparer.Instance);

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

    /// <summary>
    /// The cursor made progress: forgets its failing event once the cursor is past it (a failure recorded ahead of the
    /// cursor stays until the cursor reaches and passes it).
    /// </summary>
    /// <param name="cursor">The partition's cursor.</param>
    public void ForgetPassed(ReadCursor<T> cursor)
    {
        if (_failing.TryGetValue(cursor, out var failing) && cursor.Position > failing.Offset)
        {
            _failing.Remove(cursor);
        }
    }

    /// <summary>
    /// Records a failure at <paramref name="offset"/>, ahead of the cursor: a transactional member's handler failed inside
    /// its batch, whose transaction was aborted, and the events before the failing one go again first. The attempt is
    /// counted and reported (<see cref="ErrorPolicy.OnError"/>) now, as <see cref="OnError"/> would; the policy's decision
    /// waits until the cursor reaches the event: the next attempt waits for its backoff there (<see cref="IsFailingAt"/>,
    /// <see cref="WaitOutBackoff"/>), or, when the attempts are used up, <see cref="ExhaustedAhead"/> gives the exception
    /// back so that <see cref="OnError"/> applies the final action without calling the handler again.
    /// </summary>
    /// <param name="partition">The partition.</param>
    /// <param name="cursor">Its cursor, before the failing event.</param>
    /// <param name="offset">The failing event's offset.</param>
    /// <param name="exception">What the handler threw.</param>
    public void RecordAhead(GroupPartition<T> partition, ReadCursor<T> cursor, long offset, Exception exception) =>
        CountAttempt(partition, cursor, offset, exception, ahead: true, out _, out _);

    /// <summary>True when the cursor is at its failing event (one recorded ahead of it, or one that failed there before).</summary>
    /// <param name="cursor">The partition's cursor.</param>
    /// <returns>True at the failing event.</returns>
    public bool IsFailingAt(ReadCursor<T> cursor) => _failing.TryGetValue(cursor, out var failing) && failing.Offset == cursor.Position;

    /// <summary>
    /// Before the handler gets the event at the cursor's position: the exception of a failure recorded ahead there whose
    /// attempts are used up (throw it: <see cref="OnError"/> then applies the final action), else null.
    /// </summary>
    /// <param name="cursor">The partition's cursor.</param>
    /// <returns>The exception, or null.</returns>
    public Exception? ExhaustedAhead(ReadCursor<T> cursor) =>
        _failing.TryGetValue(cursor, out var failing)
            && failing.Offset == cursor.Position
            && failing.Ahead is not null
            && failing.Attempts >= options.ErrorPolicy.MaxAttempts
                ? failing.Ahead
                : null;

    /// <summary>Milliseconds until the cursor's failing event may be retried (0 or less: now), or null when none fails.</summary>
    /// <param name="cursor">The partition's cursor.</param>
    /// <returns>The delay, or null.</returns>
    public int? RetryDelay(ReadCursor<T> cursor) =>
        _failing.TryGetValue(cursor, out var failing) && failing.RetryAt != 0
            ? (int)Math.Clamp(failing.RetryAt - Environment.TickCount64, int.MinValue, int.MaxValue)
            : null;

    /// <summary>
    /// Parks the member until the retry time of the cursor's failing event (if it has one); true when
    /// <paramref name="interrupted"/> cut the wait short (the retry time stays, so the next call waits the rest).
    /// </summary>
    /// <param name="cursor">The partition's cursor.</param>
    /// <param name="parker">The member's parker; a control request unparks it.</param>
    /// <param name="parked">The member's idle flag, raised while parked (the watchdog counts an idle member as alive).</param>
    /// <param name="interrupted">True when the member must answer a control request or stop first.</param>
    /// <returns>True when interrupted.</returns>
    public bool WaitOutBackoff(ReadCursor<T> cursor, Workers.Parker parker, ref int parked, Func<bool> interrupted)
    {
        while (RetryDelay(cursor) is int milliseconds && milliseconds > 0)
        {
            if (interrupted())
            {
                return true;
            }

            // Release: the watchdog's acquire read of the flag sees an idle member, not a stuck one.
            Volatile.Write(ref parked, 1);
            parker.Park(milliseconds);
            Volatile.Write(ref parked, 0);
        }

        return false;
    }

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
        backoff = TimeSpan.Zero;
        HandlerError error;
        if (ReferenceEquals(exception, ExhaustedAhead(cursor)))
        {
            // The attempts were used up by failures recorded ahead (each counted and reported then): the final action now.
            error = new HandlerError(options.GroupId, memberId, partition.Id.Topic, partition.Id.Partition, offset, _failing[cursor].Attempts, exception);
        }
        else if (CountAttempt(partition, cursor, offset, exception, ahead: false, out error, out backoff) < policy.MaxAttempts)
        {
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
                    new DeadLetter<T>(cursor.CopyCurrent(), partition.Id.Topic, partition.Id.Partition, offset, options.GroupId, exception, error.Attempts));
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

    /// <summary>
    /// Counts a failed attempt at <paramref name="offset"/> (the next one after an earlier failure there, else the first),
    /// reports it (<see cref="ErrorPolicy.OnError"/>), and when the policy allows another attempt counts a retry and sets
    /// its retry time; returns the attempts so far. <paramref name="ahead"/>: the failure lies ahead of the cursor (see
    /// <see cref="RecordAhead"/>), and its exception is kept for <see cref="ExhaustedAhead"/>.
    /// </summary>
    private int CountAttempt(
        GroupPartition<T> partition, ReadCursor<T> cursor, long offset, Exception exception, bool ahead, out HandlerError error, out TimeSpan backoff)
    {
        ErrorPolicy policy = options.ErrorPolicy;
        int attempts = _failing.TryGetValue(cursor, out var failing) && failing.Offset == offset ? failing.Attempts + 1 : 1;
        Exception? kept = ahead ? exception : null;
        _failing[cursor] = (offset, attempts, 0, kept);
        error = new HandlerError(options.GroupId, memberId, partition.Id.Topic, partition.Id.Partition, offset, attempts, exception);
        Notify(policy.OnError, error);
        backoff = TimeSpan.Zero;
        if (attempts < policy.MaxAttempts)
        {
            partition.Counters.AddRetried();
            backoff = policy.BackoffAfter(attempts);
            _failing[cursor] = (offset, attempts, Environment.TickCount64 + (long)Math.Ceiling(backoff.TotalMilliseconds), kept);
        }

        return attempts;
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
