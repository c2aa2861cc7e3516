using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Sdk;
using static HotPath.Tests.Consumers.GroupEdgeCase;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Model-based property of group operations that time out: while the only member is blocked in its handler longer than
/// the rebalance time-out, a <c>Leave</c> of that member or a <c>Join</c> of a new one either completes (the blocked member
/// is fenced; the partition moves on) or throws <see cref="TimeoutException"/> and changes nothing. Either way, checked
/// against the model "partition 0 holds 0..n": every offset is handled, first deliveries come in order, and the only
/// redeliveries are the fenced member's uncommitted batch (at most MaxBatchSize); with nothing changed, exactly once.
/// </summary>
public sealed class GroupTimeoutModelProperties
{
    public enum Operation
    {
        LeaveBlockedMember,
        JoinBesideBlockedMember,
    }

    [Property(MaxTest = 8)]
    public Property LeaveOrJoin_OwnerBlockedPastRebalanceTimeout_CompletesOrHasNoEffect() =>
        Prop.ForAll(Arb.From(Case.Generator, Case.Shrink), c =>
        {
            using Topic<TestEvent> topic = CreateTopic(1);
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = "timeouts",
                MaxBatchSize = c.MaxBatchSize,
                RebalanceTimeout = TimeSpan.FromMilliseconds(c.RebalanceMs),
                SessionTimeout = TimeSpan.FromSeconds(30),
            });
            var handler = new ScriptedHandler { BlockAt = c.BlockAt };
            GroupMember<TestEvent> blocked = group.Join(handler.For("a"), memberId: "a");
            Publish(topic, 0, c.Events);
            Assert.True(handler.Inside.Wait(WaitTimeout), "the handler reached the blocking offset");

            Exception? error = c.Operation == Operation.LeaveBlockedMember
                ? Record.Exception(blocked.Leave)
                : Record.Exception(() => group.Join(handler.For("b"), memberId: "b"));
            bool changed;
            if (error is TimeoutException)
            {
                // No effect: the blocked member still owns the partition, and no new member was added.
                Assert.Equal(["a"], group.Members.Select(m => m.MemberId));
                Assert.Equal(MemberState.Running, blocked.State);
                Assert.Equal("a", group.GetOwner(TopicName, 0));
                changed = false;
            }
            else if (error is null)
            {
                changed = true;
                if (c.Operation == Operation.LeaveBlockedMember)
                {
                    Assert.DoesNotContain(group.Members, m => m.MemberId == "a");
                    Assert.NotEqual(MemberState.Running, blocked.State);
                    group.Join(handler.For("b"), memberId: "b");
                }
            }
            else
            {
                throw new XunitException($"{c.Operation} threw {error}");
            }

            handler.Gate.Set();
            WaitUntil(() => Drained(group, topic), "the group to drain", () => group.Members.Count == 0 ? "no member left" : null);
            Publish(topic, c.Events, c.Events + 1);
            WaitUntil(() => handler.Offsets(0).Contains(c.Events) && Drained(group, topic), "the sentinel");
            string context = $"{c.Operation} {(changed ? "completed" : "timed out")}; {Describe(group)}";
            if (!changed)
            {
                AssertExactlyOnce(handler, 1, c.Events + 1, context);
                return;
            }

            List<long> offsets = handler.Offsets(0);
            var firsts = offsets.Distinct().ToList();
            Assert.True(firsts.SequenceEqual(Enumerable.Range(0, c.Events + 1).Select(i => (long)i)), $"first deliveries [{string.Join(' ', firsts)}], the model expects 0..{c.Events}; {context}");
            int redelivered = offsets.Count - firsts.Count;
            Assert.True(redelivered <= c.MaxBatchSize, $"{redelivered} redeliveries [{string.Join(' ', offsets)}], at most MaxBatchSize {c.MaxBatchSize} after one fence; {context}");
        });

    /// <summary>One case: the blocked offset, the operation, and the group's settings.</summary>
    public sealed record Case(int Events, int BlockAt, Operation Operation, int RebalanceMs, int MaxBatchSize)
    {
        public static Gen<Case> Generator { get; } =
            from events in Gen.Choose(2, 20)
            from block in Gen.Choose(0, events - 1)
            from operation in Gen.Elements(Operation.LeaveBlockedMember, Operation.JoinBesideBlockedMember)
            from rebalance in Gen.Choose(50, 150)
            from batch in Gen.Elements(1, 4, 64)
            select new Case(events, block, operation, rebalance, batch);

        public static IEnumerable<Case> Shrink(Case c)
        {
            if (c.Events > c.BlockAt + 1)
            {
                yield return c with { Events = c.Events - 1 };
            }

            if (c.BlockAt > 0)
            {
                yield return c with { BlockAt = c.BlockAt - 1 };
            }

            if (c.MaxBatchSize > 1)
            {
                yield return c with { MaxBatchSize = c.MaxBatchSize == 64 ? 4 : 1 };
            }
        }
    }
}
