namespace HotPath.Consumers;

/// <summary>What a member does with an event whose handler still throws after the last retry.</summary>
public enum ErrorAction
{
    /// <summary>
    /// The member stops: its partitions are revoked (committing everything before the failing event) and handed
    /// to the other members, which handle the failing event again. Nothing is skipped. The default.
    /// </summary>
    StopMember = 0,

    /// <summary>The event is skipped, counted, and reported to <see cref="ErrorPolicy.OnSkipped"/>.</summary>
    Skip = 1,

    /// <summary>
    /// The event is published to <see cref="ErrorPolicy.DeadLetterTopic"/> (with its origin, the exception and the
    /// attempt count), counted, then skipped. Publishing to a full dead-letter topic waits for room.
    /// </summary>
    DeadLetter = 2,
}
