namespace HotPath.Consumers;

/// <summary>An event that a group's handler could not handle, as stored in a dead-letter topic.</summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="Event">A copy of the event.</param>
/// <param name="Topic">The topic it came from.</param>
/// <param name="Partition">Its partition there.</param>
/// <param name="Offset">Its offset there.</param>
/// <param name="GroupId">The group whose handler failed.</param>
/// <param name="Error">The exception of the last attempt.</param>
/// <param name="Attempts">How many times the handler was called for it.</param>
public readonly record struct DeadLetter<T>(T Event, string Topic, int Partition, long Offset, string GroupId, Exception Error, int Attempts)
    where T : struct;
