using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.CoyoteTests;

/// <summary>
/// The coordinator's abort racing the owner of an open transaction, watched by a read-committed reader: the owner and
/// the abort (<c>AbortFromOutside</c>, with the arguments of the coordinator's time-out check or of a fence) run on
/// threads of their own, started in that order, while the test's thread dispatches and commits until the owner is done
/// and the reader has passed the end offset, then joins both. One instance per schedule.
/// </summary>
/// <remarks>
/// What the tests vary: the ring, the set-up before the race (plain events, <c>Begin</c>, the transaction's first
/// events), the owner's calls, the abort's arguments, and whether the owner waits for the abort to return. The race
/// builds the one-partition topic, the publisher and the reader, in that order; the test does the rest of the set-up
/// before <see cref="Run"/>. Disposing the race disposes the topic, not the publisher: whether the publisher is disposed
/// before the test's assertions or after them is the test's choice.
/// </remarks>
internal sealed class AbortRace : IDisposable
{
    private bool ownerAwaitsTheAbort;
    private bool abortReturned;
    private bool ownerDone;

    public AbortRace(TransactionCoordinator coordinator, int capacity, PublishMode mode)
    {
        Topic = Scenario.Topic(capacity, mode);
        Partition = Topic[0];
        Publisher = TransactionScenario.Publisher(coordinator);
        Cursor = TransactionScenario.ReadCommitted(Partition);
    }

    public Topic<Stamped> Topic { get; }

    /// <summary>The topic's only partition.</summary>
    public Partition<Stamped> Partition { get; }

    /// <summary>The owner's publisher (not registered with the coordinator); the race does not dispose it.</summary>
    public TransactionalPublisher Publisher { get; }

    /// <summary>The read-committed reader that watches the race, from the earliest offset.</summary>
    public ReadCursor<Stamped> Cursor { get; }

    /// <summary>
    /// Runs the race: <paramref name="owner"/> on one thread; on another, the coordinator's abort of the open transaction,
    /// a fence with <paramref name="fence"/>, else a time-out (that read the state word <paramref name="expectedWord"/>
    /// earlier, when given); on the test's thread, the reader into <paramref name="recorder"/>
    /// (<see cref="TransactionScenario.ReadCommittedUntilDone"/>). With <paramref name="ownerAwaitsTheAbort"/>, the abort's
    /// thread raises a flag once the abort has returned, which the owner waits for by <see cref="AwaitTheAbort"/>; without
    /// it, the abort's thread does nothing after the abort (no scheduling point that the race does not need). Returns what
    /// <c>AbortFromOutside</c> returned: whether the abort ended the transaction.
    /// </summary>
    public bool Run(Action owner, Recorder recorder, bool fence, long? expectedWord = null, bool ownerAwaitsTheAbort = false)
    {
        this.ownerAwaitsTheAbort = ownerAwaitsTheAbort;
        bool ended = false;
        Thread ownerThread = Scenario.Start(() =>
        {
            owner();
            Volatile.Write(ref ownerDone, true);
        });

        Thread outside = Scenario.Start(() =>
        {
            ended = Publisher.AbortFromOutside("the transaction timed out", fence, expectedWord);
            if (ownerAwaitsTheAbort)
            {
                Volatile.Write(ref abortReturned, true);
            }
        });

        TransactionScenario.ReadCommittedUntilDone(Cursor, recorder, () => Volatile.Read(ref ownerDone));
        ownerThread.Join();
        outside.Join();
        return ended;
    }

    /// <summary>For the owner of a race run with <c>ownerAwaitsTheAbort</c>: yields until the abort has returned.</summary>
    public void AwaitTheAbort()
    {
        Assert.True(ownerAwaitsTheAbort, "the owner waits for the abort, but the race was run without ownerAwaitsTheAbort");
        while (!Volatile.Read(ref abortReturned))
        {
            Thread.Yield();
        }
    }

    public void Dispose() => Topic.Dispose();
}
