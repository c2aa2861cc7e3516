using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// How a test observes that a consumer group has failed as a whole (every member stopped by its handler's errors),
/// kept in one place so that it follows the library's API for it: every failed member is reported through
/// <see cref="ConsumerGroupOptions.OnMemberFailed"/> with the handler's exception, the last report says no member
/// remains, and once the topic is complete the group's <see cref="ConsumerGroup{T}.Completion"/> faults with that
/// exception in its chain (after the group's rebalance time-out, the grace a supervisor has to join a replacement).
/// </summary>
internal sealed class GroupFailureObservation
{
    private readonly ConcurrentQueue<MemberFailure> _reported = new();

    /// <summary>The callback to set as <see cref="ConsumerGroupOptions.OnMemberFailed"/>.</summary>
    public Action<MemberFailure> Callback => _reported.Enqueue;

    /// <summary>Fails unless the group reports its failure within <paramref name="within"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <typeparam name="TException">The handler's exception type, expected in the reported error.</typeparam>
    /// <param name="group">The group whose members all failed.</param>
    /// <param name="topic">The group's topic; completed here, so that the group cannot drain any more.</param>
    /// <param name="failedMembers">How many members failed.</param>
    /// <param name="within">An upper bound for each report.</param>
    public void AssertReported<T, TException>(ConsumerGroup<T> group, Topic<T> topic, int failedMembers, TimeSpan within)
        where T : struct
        where TException : Exception
    {
        Assert.True(
            SpinWait.SpinUntil(() => _reported.Count >= failedMembers, within),
            $"group '{group.GroupId}': {_reported.Count} of {failedMembers} failed members reported through OnMemberFailed after {within.TotalSeconds} s");
        Assert.All(_reported, f => Assert.True(
            f.GroupId == group.GroupId && f.State == MemberState.Faulted && Chain(f.Error).Any(e => e is TException),
            $"a failure report without the handler's {typeof(TException).Name}: {f}"));
        Assert.Contains(_reported, f => f.RemainingMembers == 0);

        topic.Complete();
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
            $"group '{group.GroupId}' has no running member (members: {string.Join(", ", group.Members)}) and its topic is complete, yet its Completion is {completion.Status} after {within.TotalSeconds} s: the failure is not observable");
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
