using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests of fencing against commits (defect 8 of issue 11): the fence a group puts on a member declared
/// failed (<c>GroupPartition.Fence</c> → <c>ReadCursor.Fork</c> → <c>Partition.ReplaceGatingSequence</c>) must be
/// atomic with that member's commits. They fail on the code before the fix.
/// </summary>
public sealed class FencingProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// The old member commits (its automatic commit: commit unless fenced) while the coordinator forks its cursor. A
    /// commit that lands after the replacement copied the committed offset but before the swap is still seen by the
    /// writer in the old gating array: the writer then reuses slots that the new owner, resuming at the replacement's
    /// (lower) offset, has not read.
    /// </summary>
    [Fact]
    public void Fork_FencedMemberCommitsDuringTheFence_WriterNeverOverwritesWhatTheNewOwnerHasNotRead()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 2, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            var old = new ReadCursor<Stamped>(partition, OffsetReset.Earliest, offset: null);
            const int Events = 4;
            Scenario.Publish(partition, 0);
            Scenario.Publish(partition, 1);

            // The ring is full: the writer waits for the old member's commit.
            Thread writer = Scenario.Start(() =>
            {
                for (int i = 2; i < Events; i++)
                {
                    Scenario.Publish(partition, i);
                }
            });

            Thread member = Scenario.Start(() =>
            {
                var handled = new Recorder([]);
                while (old.Dispatch(ref handled, 2) == 0 && !old.IsFenced)
                {
                    Thread.Yield();
                }

                if (!old.IsFenced)
                {
                    _ = old.TryCommitPosition();   // false once fenced: the commit must not land anywhere
                }
            });

            // The coordinator fences the member, then the new owner resumes at the replacement's committed offset.
            ReadCursor<Stamped> replacement = old.Fork();
            long resumeAt = replacement.Committed;
            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen);
            while (replacement.Position < Events)
            {
                if (replacement.Dispatch(ref recorder, 2) == 0)
                {
                    Thread.Yield();
                    continue;
                }

                // Check before committing: once committed, the writer may legitimately reuse the slots.
                Assert.All(seen, s => Assert.True(s.Offset == s.Event.Value,
                    $"the new owner (resumed at {resumeAt}) read offset {s.Offset} overwritten by {s.Event}: the writer passed it"));
                Assert.True(replacement.TryCommitPosition(), "the new owner's commit is refused");
            }

            member.Join();
            writer.Join();
            Scenario.AssertIntactAndOrdered(seen);
        }, iterations: 300, output, strategy: c => c.WithProbabilisticStrategy());
    }
}
