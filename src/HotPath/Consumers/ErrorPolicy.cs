using HotPath.Internal;
using HotPath.Topics;

namespace HotPath.Consumers;

/// <summary>
/// What a group does when its handler throws: retry the event with bounded attempts and exponential backoff,
/// then <see cref="AfterRetries"/>. Retries happen on the member's thread, so the member's other partitions wait
/// during the backoff; rebalance requests are still answered between attempts.
/// </summary>
/// <remarks>Thread-safety: immutable after init.</remarks>
public sealed record ErrorPolicy
{
    /// <summary>The default: no retry, stop the member (its partitions move; nothing is skipped).</summary>
    public static ErrorPolicy Default { get; } = new();

    /// <summary>Calls per event before <see cref="AfterRetries"/>, the first one included; at least 1. Default 1.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The wait before the second attempt; doubled for each further one. Default 1 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest wait between attempts. Default 1 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>What happens once the attempts ran out. Default <see cref="ErrorAction.StopMember"/>.</summary>
    public ErrorAction AfterRetries { get; init; } = ErrorAction.StopMember;

    /// <summary>The dead-letter topic, required with <see cref="ErrorAction.DeadLetter"/>. An ordinary topic: give it a group to read it.</summary>
    public object? DeadLetterTopic { get; init; }

    /// <summary>Called on the member's thread for every failed attempt (for logging). Exceptions it throws are ignored.</summary>
    public Action<HandlerError>? OnError { get; init; }

    /// <summary>Called on the member's thread when an event is skipped or dead-lettered. Exceptions it throws are ignored.</summary>
    public Action<HandlerError>? OnSkipped { get; init; }

    /// <summary>Creates a policy that retries, then dead-letters into <paramref name="deadLetterTopic"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="deadLetterTopic">The topic that receives the failed events.</param>
    /// <param name="maxAttempts">Calls per event before dead-lettering.</param>
    /// <returns>The policy.</returns>
    /// <remarks>Thread-safety: any thread.</remarks>
    public static ErrorPolicy DeadLetterTo<T>(Topic<DeadLetter<T>> deadLetterTopic, int maxAttempts = 3)
        where T : struct =>
        new() { MaxAttempts = maxAttempts, AfterRetries = ErrorAction.DeadLetter, DeadLetterTopic = deadLetterTopic };

    /// <summary>The backoff before attempt <paramref name="attempt"/> + 1.</summary>
    internal TimeSpan BackoffAfter(int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        double ticks = Math.Min(InitialBackoff.Ticks * factor, MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Throws when a setting breaks its rule, naming it, the rule and the value.</summary>
    /// <typeparam name="T">The group's event type, which a dead-letter topic must match.</typeparam>
    internal void Validate<T>()
        where T : struct
    {
        if (MaxAttempts < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(MaxAttempts), "must be at least 1", MaxAttempts);
        }

        if (InitialBackoff < TimeSpan.Zero)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(InitialBackoff), "must not be negative", InitialBackoff);
        }

        if (MaxBackoff < InitialBackoff || MaxBackoff > ConsumerGroupOptions.MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(
                nameof(MaxBackoff), $"must be from {nameof(InitialBackoff)} ({InitialBackoff}) to {ConsumerGroupOptions.MaxTimeout}", MaxBackoff);
        }

        if (AfterRetries is not (ErrorAction.StopMember or ErrorAction.Skip or ErrorAction.DeadLetter))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(AfterRetries), "must be StopMember, Skip or DeadLetter", AfterRetries);
        }

        if (AfterRetries == ErrorAction.DeadLetter && DeadLetterTopic is not Topic<DeadLetter<T>>)
        {
            ThrowHelper.Argument(
                nameof(DeadLetterTopic),
                $"{nameof(DeadLetterTopic)} must be a Topic<DeadLetter<{typeof(T).Name}>> when {nameof(AfterRetries)} is DeadLetter, was {DeadLetterTopic?.GetType().Name ?? "null"}");
        }
    }
}
