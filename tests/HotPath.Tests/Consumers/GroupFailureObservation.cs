using HotPath.Consumers;

namespace HotPath.Tests.Consumers;

/// <summary>
/// How a test observes that a consumer group has failed as a whole (every member stopped by its handler's errors),
/// kept in one place so that it follows the library's API for it: today, the group's <see cref="ConsumerGroup{T}.Completion"/>
/// must fault, with the handler's exception somewhere in its chain.
/// </summary>
internal static class GroupFailureObservation
{
    /// <summary>Fails unless the group reports its failure within <paramref name="within"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <typeparam name="TException">The handler's exception type, expected in the reported error.</typeparam>
    /// <param name="group">The group whose members all failed.</param>
    /// <param name="within">An upper bound for the report.</param>
    public static void AssertReported<T, TException>(ConsumerGroup<T> group, TimeSpan within)
        where T : struct
        where TException : Exception
    {
        Task completion = group.Completion;
        try
        {
            completion.Wait(within);
        }
        catch (AggregateException)
        {
            // Inspected below.
        }

        Assert.True(
            completion.IsFaulted,
            $"group '{group.GroupId}' has no running member (members: {string.Join(", ", group.Members)}), yet its Completion is {completion.Status} after {within.TotalSeconds} s: the failure is not observable");
        Assert.True(
            Chain(completion.Exception).Any(e => e is TException),
            $"group '{group.GroupId}' Completion faulted without the handler's {typeof(TException).Name}: {completion.Exception}");
    }

    private static IEnumerable<Exception> Chain(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            yield return error;
            if (error is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
