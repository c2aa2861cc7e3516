namespace HotPath.Durability;

/// <summary>
/// Test hooks of <see cref="TopicJournaller{T}"/> (internal, reached through InternalsVisibleTo): with
/// <see cref="DurabilityOptions.JournallerDrivenByTest"/> the thread is not started and a test runs the rounds.
/// </summary>
internal sealed partial class TopicJournaller<T>
{
    /// <summary>
    /// One round of the thread's loop, on the caller's thread: <see cref="JournalRound"/>, then under
    /// <see cref="SyncPolicy.Interval"/> the sync that the thread runs when the interval elapsed (<see cref="SyncAll"/>).
    /// Call from one thread at a time, only when the journaller is driven by the test. True when the round journaled or
    /// settled anything.
    /// </summary>
    internal bool RunRoundForTest()
    {
        bool progressed = JournalRound();
        if (_options.Sync == SyncPolicy.Interval)
        {
            SyncAll();
        }

        return progressed;
    }

    /// <summary><see cref="Stop"/> of a journaller driven by the test: the thread's last rounds and its finish, on the caller.</summary>
    private void StopOnCallerForTest()
    {
        try
        {
            while (JournalRound())
            {
            }

            Finish();
        }
        catch (Exception e)
        {
            // As the thread does: a failure stops the journal visibly.
            Fail(e);
        }
    }
}
