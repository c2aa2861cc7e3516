using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests of a pull consumer's hand-off (<c>PullHandoff</c>): its fetch thread copies a partition's events into
/// the hand-off and then gives the partition up (a revocation in good order, as <c>MemberWorker.ApplyAssignment</c> does:
/// withdraw, then commit what was consumed), or the coordinator fences the cursor, while the consumer's caller takes copies
/// and commits (auto-commit on its next call, or a manual commit after each take). Whatever the interleaving: the caller
/// gets offsets in order from the start, the committed offset never passes what the caller took, a revocation in good
/// order with auto-commit commits exactly what it took, nothing moves a fenced cursor's replacement, and the next owner,
/// resuming at the committed offset, gets the rest: nothing lost, and offsets handed out twice only when taken and not
/// committed (manual commits, or a fence).
/// </summary>
public sealed class PullHandoffProtocolTests(ITestOutputHelper output)
{
    private const int Events = 4;

    public enum Ending
    {
        /// <summary>The fetch thread revokes in good order; auto-commit.</summary>
        RevokeAutoCommit,

        /// <summary>The fetch thread revokes in good order; the caller commits after each take (manual), the revocation does not.</summary>
        RevokeManualCommit,

        /// <summary>The coordinator fences the cursor at any moment; the fetch thread drops the partition when it notices.</summary>
        Fence,
    }

    [Theory]
    [InlineData(Ending.RevokeAutoCommit)]
    [InlineData(Ending.RevokeManualCommit)]
    [InlineData(Ending.Fence)]
    public void Handoff_PartitionLeavesWhileTheCallerConsumes_CommittedNeverPassesWhatWasTakenAndTheNextOwnerGetsTheRest(Ending ending)
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: Events, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            for (int i = 0; i < Events; i++)
            {
                Scenario.Publish(partition, i);
            }

            var group = new GroupPartition<Stamped>(new TopicPartition("coyote", 0), partition, OffsetReset.Earliest, lossy: false, readCommitted: false);
            ReadCursor<Stamped> cursor = group.Cursor;
            bool autoCommit = ending != Ending.RevokeManualCommit;
            var handoff = new PullHandoff<Stamped>(prefetch: 2, autoCommit, "c", wakeFetcher: static () => { }, maybeDrained: null);
            var taken = new List<long>();
            var committedAfterTakes = new List<(int Taken, long Committed)>();
            long revokeCommitted = -1;

            // The fetch thread: fill while there is room, until everything is copied or the cursor is fenced; then give the
            // partition up as ApplyAssignment does (withdraw, then commit what was consumed unless fenced), and end.
            Thread fetcher = Scenario.Start(() =>
            {
                while (cursor.Position < Events && !cursor.IsFenced)
                {
                    int free = handoff.Free;
                    if (free == 0 || handoff.Fill(handoff.StateOf(group, cursor), free) == 0)
                    {
                        Thread.Yield();
                    }
                }

                long consumed = handoff.Withdraw(cursor);
                if (autoCommit && !cursor.IsFenced && cursor.TryCommit(consumed))
                {
                    revokeCommitted = consumed;
                }

                handoff.End();
            });

            // The caller: take until the hand-off ends; with manual commits, commit after each take.
            Thread caller = Scenario.Start(() =>
            {
                while (true)
                {
                    PullHandoff<Stamped>.TakeStatus status = handoff.Poll(out ConsumeResult<Stamped> result);
                    if (status == PullHandoff<Stamped>.TakeStatus.Ended)
                    {
                        return;
                    }

                    if (status == PullHandoff<Stamped>.TakeStatus.Empty)
                    {
                        Thread.Yield();
                        continue;
                    }

                    taken.Add(result.Offset);
                    if (!result.Event.IsIntact || result.Event.Value != result.Offset)
                    {
                        taken.Add(-1000 - result.Offset);
                    }

                    if (!autoCommit)
                    {
                        try
                        {
                            handoff.CommitConsumed();
                        }
                        catch (InvalidOperationException)
                        {
                            // Fenced: nothing committed. Not in this variant (no fence), so the check below would see it.
                            taken.Add(-1);
                        }
                    }

                    committedAfterTakes.Add((taken.Count, cursor.Committed));
                }
            });

            ReadCursor<Stamped>? replacement = null;
            long committedAtFence = -1;
            if (ending == Ending.Fence)
            {
                replacement = cursor.Fork();
                committedAtFence = replacement.Committed;
            }

            fetcher.Join();
            caller.Join();

            // The caller got 0, 1, 2, ... in order, each intact.
            Assert.Equal(Enumerable.Range(0, taken.Count).Select(i => (long)i), taken);
            Assert.All(committedAfterTakes, c => Assert.True(c.Committed <= c.Taken, $"committed {c.Committed} after {c.Taken} takes (a sealed, fenced cursor reads negative)"));
            long resumeAt;
            if (replacement is not null)
            {
                // Nothing moved the replacement after the fence: the fenced consumer's commits fail.
                Assert.Equal(committedAtFence, replacement.Committed);
                Assert.True(committedAtFence <= taken.Count, $"committed {committedAtFence} at the fence, past the {taken.Count} taken");
                resumeAt = replacement.Committed;
                cursor = replacement;
            }
            else
            {
                resumeAt = cursor.Committed;
                if (autoCommit)
                {
                    // A revocation in good order commits exactly what was taken.
                    Assert.Equal(taken.Count, revokeCommitted);
                    Assert.Equal(taken.Count, resumeAt);
                }
                else
                {
                    Assert.True(resumeAt <= taken.Count, $"committed {resumeAt}, past the {taken.Count} taken");
                }
            }

            // The next owner resumes at the committed offset and gets the rest, in order.
            cursor.ResetToCommitted();
            var rest = new List<long>();
            while (cursor.TryTake(out Stamped @event, out long offset))
            {
                Assert.True(@event.IsIntact && @event.Value == offset, $"offset {offset} read as {@event}");
                rest.Add(offset);
            }

            Assert.Equal(Enumerable.Range((int)resumeAt, Events - (int)resumeAt).Select(i => (long)i), rest);
        }, iterations: 300, output, variant: ending.ToString());
    }

    /// <summary>
    /// The fetch thread parks on a full hand-off (prefetch 1) as the member loop does when it cannot take events (check
    /// <c>Free</c>, then park on its parker), and the caller's take that makes room unparks it: no lost wake-up (Coyote
    /// models the park as a wait without time-out, so a lost one is reported as a deadlock), every event handed over once.
    /// </summary>
    [Fact]
    public void Handoff_FetchThreadParksOnAFullHandoff_TheTakeThatMakesRoomWakesIt()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: Events, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            for (int i = 0; i < Events; i++)
            {
                Scenario.Publish(partition, i);
            }

            var group = new GroupPartition<Stamped>(new TopicPartition("coyote", 0), partition, OffsetReset.Earliest, lossy: false, readCommitted: false);
            ReadCursor<Stamped> cursor = group.Cursor;
            var parker = new Parker();
            var handoff = new PullHandoff<Stamped>(prefetch: 1, autoCommit: true, "c", parker.Unpark, maybeDrained: null);
            var taken = new List<long>();

            Thread fetcher = Scenario.Start(() =>
            {
                while (cursor.Position < Events)
                {
                    if (handoff.Free == 0)
                    {
                        parker.Park(Timeout.Infinite);
                        continue;
                    }

                    _ = handoff.Fill(handoff.StateOf(group, cursor), handoff.Free);
                }
            });

            Thread caller = Scenario.Start(() =>
            {
                while (taken.Count < Events)
                {
                    if (handoff.Poll(out ConsumeResult<Stamped> result) == PullHandoff<Stamped>.TakeStatus.Taken)
                    {
                        taken.Add(result.Offset);
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }

                // The call that finds nothing commits the last take.
                _ = handoff.Poll(out _);
            });

            fetcher.Join();
            caller.Join();
            Assert.Equal(Enumerable.Range(0, Events).Select(i => (long)i), taken);
            Assert.Equal(Events, cursor.Committed);
        }, iterations: 300, output);
    }
}
