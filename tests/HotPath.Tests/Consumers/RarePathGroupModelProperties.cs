using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;
using static HotPath.Tests.Consumers.GroupEdgeCase;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Model-based properties of consumer groups on the paths where issue 11 found defects, each over generated cases
/// (partitions, members, timeouts, offsets) checked against the plain model "partition p holds values 0..n-1 at offsets
/// 0..n-1". Each failed on the code before its fix: healthy slow members evicted (defect 4), a timed-out seek applied
/// later (defect 5), one group id registered twice (defect 9), a group whose last member failed staying silent (defect 10).
/// </summary>
public sealed class RarePathGroupModelProperties
{
    /// <summary>
    /// A handler slower than nothing but making progress (a sleep of 1/8 to 1/4 of the session time-out per event) over
    /// a backlog that takes about twice the session time-out per pass: no member is declared failed, and every event
    /// is handled exactly once in order (no fence, so no redelivery).
    /// </summary>
    [Property(MaxTest = 4)]
    public Property SlowHandler_ShortSessionTimeout_NoMemberEvictedAndExactlyOnce() =>
        Prop.ForAll(Arb.From(SlowCase.Generator, SlowCase.Shrink), c =>
        {
            using Topic<TestEvent> topic = CreateTopic(c.Partitions);
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = "slow",
                MaxBatchSize = c.MaxBatchSize,
                SessionTimeout = TimeSpan.FromMilliseconds(c.SessionMs),
            });
            var handler = new ScriptedHandler { SleepMs = c.HandlerMs };
            var members = Enumerable.Range(0, c.Members).Select(m => group.Join(handler.For($"m{m}"), memberId: $"m{m}")).ToList();
            Publish(topic, 0, c.EventsPerPartition);
            WaitUntil(
                () => Drained(group, topic),
                "the group to drain",
                () => members.FirstOrDefault(m => m.State != MemberState.Running) is { } evicted
                    ? $"member {evicted.MemberId} is {evicted.State} after {handler.Count} events: evicted though it made progress; {Describe(group)}"
                    : null);
            Assert.All(members, m => Assert.Equal(MemberState.Running, m.State));
            AssertExactlyOnce(handler, c.Partitions, c.EventsPerPartition, Describe(group));
        });

    /// <summary>
    /// The owner is blocked in its handler longer than the rebalance time-out, so a seek from another thread times out:
    /// that seek must have no effect. After the handler goes on (and a sentinel event shows the member passed the point
    /// where a late seek would apply), the partition was handled exactly once, 0..n in order.
    /// </summary>
    [Property(MaxTest = 8)]
    public Property Seek_TimesOut_HasNoEffect() =>
        Prop.ForAll(Arb.From(SeekCase.Generator, SeekCase.Shrink), c =>
        {
            using Topic<TestEvent> topic = CreateTopic(1);
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = "seek",
                MaxBatchSize = c.MaxBatchSize,
                RebalanceTimeout = TimeSpan.FromMilliseconds(c.RebalanceMs),
                SessionTimeout = TimeSpan.FromSeconds(30),
            });
            var handler = new ScriptedHandler { BlockAt = c.BlockAt };
            group.Join(handler.For("m"), memberId: "m");
            Publish(topic, 0, c.Events);
            Assert.True(handler.Inside.Wait(WaitTimeout), "the handler reached the blocking offset");
            Assert.Throws<TimeoutException>(() => group.Seek(TopicName, 0, c.Target));
            handler.Gate.Set();
            WaitUntil(() => Drained(group, topic), "the group to drain");
            Publish(topic, c.Events, c.Events + 1);
            WaitUntil(() => handler.Offsets(0).Contains(c.Events) && Drained(group, topic), "the sentinel");
            AssertExactlyOnce(handler, 1, c.Events + 1, $"seek to {c.Target} timed out while the handler was blocked at {c.BlockAt}; {Describe(group)}");
        });

    /// <summary>
    /// Groups created one after another on one topic with ids drawn from {a, b}: a group id already in use on the topic is
    /// rejected at construction (an ArgumentException or InvalidOperationException), and every group that was created
    /// handles every event exactly once (no silent double delivery under one id).
    /// </summary>
    [Property(MaxTest = 20)]
    public Property DuplicateGroupId_IsRejected_EachGroupExactlyOnce() =>
        Prop.ForAll(Arb.From(DuplicateIdCase.Generator, DuplicateIdCase.Shrink), c =>
        {
            using Topic<TestEvent> topic = CreateTopic(c.Partitions);
            var created = new List<(ConsumerGroup<TestEvent> Group, ScriptedHandler Handler)>();
            try
            {
                foreach (string id in c.Ids)
                {
                    var options = new ConsumerGroupOptions { GroupId = id };
                    if (created.Any(g => g.Group.GroupId == id))
                    {
                        Exception? error = Record.Exception(() => created.Add((new ConsumerGroup<TestEvent>(topic, options), new ScriptedHandler())));
                        Assert.True(
                            error is ArgumentException or InvalidOperationException,
                            $"a second group with id '{id}' on topic '{TopicName}' was {(error is null ? "accepted" : $"rejected with {error.GetType().Name}")}: both would get every event");
                        continue;
                    }

                    var handler = new ScriptedHandler();
                    var group = new ConsumerGroup<TestEvent>(topic, options);
                    created.Add((group, handler));
                    group.Join(handler.For(id + "-m"));
                }

                Publish(topic, 0, c.Events);
                foreach ((ConsumerGroup<TestEvent> group, ScriptedHandler handler) in created)
                {
                    WaitUntil(() => Drained(group, topic), $"group {group.GroupId} to drain");
                    AssertExactlyOnce(handler, c.Partitions, c.Events, $"group {group.GroupId}");
                }
            }
            finally
            {
                created.ForEach(g => g.Group.Dispose());
            }
        });

    /// <summary>
    /// Every member's handler throws for every event from a poisoned value on, and the policy stops a member after
    /// MaxAttempts: one by one every member stops. The group must then report its failure (see
    /// <see cref="GroupFailureObservation"/>): a group whose last member failed is never silent.
    /// </summary>
    [Property(MaxTest = 6)]
    public Property LastMemberFaults_GroupReportsTheFailure() =>
        Prop.ForAll(Arb.From(LastMemberCase.Generator, LastMemberCase.Shrink), c =>
        {
            using Topic<TestEvent> topic = CreateTopic(c.Partitions);
            var observation = new GroupFailureObservation();
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
            {
                GroupId = "doomed",
                OnMemberFailed = observation.Callback,
                RebalanceTimeout = TimeSpan.FromSeconds(1),
                ErrorPolicy = new ErrorPolicy { MaxAttempts = c.MaxAttempts, InitialBackoff = TimeSpan.FromMilliseconds(1), AfterRetries = ErrorAction.StopMember },
            });
            var handler = new ScriptedHandler { PoisonFrom = c.PoisonFrom };
            var members = Enumerable.Range(0, c.Members).Select(m => group.Join(handler.For($"m{m}"), memberId: $"m{m}")).ToList();
            Publish(topic, 0, c.PoisonFrom + 1);
            WaitUntil(() => members.All(m => m.State != MemberState.Running), "every member to stop on the poisoned event", () => null);
            observation.AssertReported<TestEvent, ScriptedHandler.PoisonException>(group, topic, c.Members, TimeSpan.FromSeconds(10));
        });

    /// <summary>A slow-handler case.</summary>
    public sealed record SlowCase(int Partitions, int Members, int SessionMs, int HandlerMs, int MaxBatchSize, int EventsPerPartition)
    {
        public static Gen<SlowCase> Generator { get; } =
            from partitions in Gen.Choose(1, 3)
            from members in Gen.Choose(1, 2)
            from session in Gen.Choose(120, 250)
            from divisor in Gen.Choose(4, 8)
            from batch in Gen.Elements(16, 64, 1024)
            select Sized(partitions, members, session, session / divisor, batch);

        /// <summary>Enough events that one member's pass over its partitions takes about twice the session time-out.</summary>
        public static SlowCase Sized(int partitions, int members, int session, int handler, int batch)
        {
            int perPass = Math.Max(1, partitions / members);
            int events = Math.Min(60, (2 * session / (handler * perPass)) + 2);
            return new SlowCase(partitions, members, session, handler, batch, events);
        }

        public static IEnumerable<SlowCase> Shrink(SlowCase c)
        {
            if (c.Partitions > 1)
            {
                yield return Sized(c.Partitions - 1, Math.Min(c.Members, c.Partitions - 1), c.SessionMs, c.HandlerMs, c.MaxBatchSize);
            }

            if (c.Members > 1)
            {
                yield return Sized(c.Partitions, c.Members - 1, c.SessionMs, c.HandlerMs, c.MaxBatchSize);
            }

            if (c.MaxBatchSize > 16)
            {
                yield return Sized(c.Partitions, c.Members, c.SessionMs, c.HandlerMs, 16);
            }
        }
    }

    /// <summary>A timed-out seek case: the handler blocks at <see cref="BlockAt"/>; the seek targets <see cref="Target"/>.</summary>
    public sealed record SeekCase(int Events, int BlockAt, int Target, int RebalanceMs, int MaxBatchSize)
    {
        public static Gen<SeekCase> Generator { get; } =
            from events in Gen.Choose(2, 20)
            from block in Gen.Choose(0, events - 1)
            from target in Gen.Choose(0, events)
            from rebalance in Gen.Choose(50, 150)
            from batch in Gen.Elements(1, 4, 64)
            select new SeekCase(events, block, target, rebalance, batch);

        public static IEnumerable<SeekCase> Shrink(SeekCase c)
        {
            if (c.Events > c.BlockAt + 1 && c.Events > c.Target)
            {
                yield return c with { Events = c.Events - 1 };
            }

            if (c.BlockAt > 0)
            {
                yield return c with { BlockAt = c.BlockAt - 1 };
            }

            if (c.Target > 0)
            {
                yield return c with { Target = c.Target - 1 };
            }

            if (c.MaxBatchSize > 1)
            {
                yield return c with { MaxBatchSize = c.MaxBatchSize == 64 ? 4 : 1 };
            }
        }
    }

    /// <summary>Group ids in creation order on one topic.</summary>
    public sealed record DuplicateIdCase(int Partitions, string[] Ids, int Events)
    {
        public static Gen<DuplicateIdCase> Generator { get; } =
            from partitions in Gen.Choose(1, 2)
            from count in Gen.Choose(1, 3)
            from ids in Gen.ArrayOf(Gen.Elements("a", "b"), count)
            from events in Gen.Choose(1, 20)
            select new DuplicateIdCase(partitions, ids, events);

        public static IEnumerable<DuplicateIdCase> Shrink(DuplicateIdCase c)
        {
            for (int i = 0; i < c.Ids.Length; i++)
            {
                yield return c with { Ids = [.. c.Ids[..i], .. c.Ids[(i + 1)..]] };
            }

            if (c.Partitions > 1)
            {
                yield return c with { Partitions = 1 };
            }

            if (c.Events > 1)
            {
                yield return c with { Events = c.Events / 2 };
            }
        }

        public override string ToString() => $"DuplicateIdCase {{ Partitions = {Partitions}, Ids = [{string.Join(", ", Ids)}], Events = {Events} }}";
    }

    /// <summary>Members whose handlers all fail from <see cref="PoisonFrom"/> on.</summary>
    public sealed record LastMemberCase(int Partitions, int Members, int MaxAttempts, int PoisonFrom)
    {
        public static Gen<LastMemberCase> Generator { get; } =
            from partitions in Gen.Choose(1, 2)
            from members in Gen.Choose(1, 3)
            from attempts in Gen.Choose(1, 2)
            from poison in Gen.Choose(0, 5)
            select new LastMemberCase(partitions, members, attempts, poison);

        public static IEnumerable<LastMemberCase> Shrink(LastMemberCase c)
        {
            if (c.Members > 1)
            {
                yield return c with { Members = c.Members - 1 };
            }

            if (c.Partitions > 1)
            {
                yield return c with { Partitions = 1 };
            }

            if (c.MaxAttempts > 1)
            {
                yield return c with { MaxAttempts = 1 };
            }

            if (c.PoisonFrom > 0)
            {
                yield return c with { PoisonFrom = c.PoisonFrom - 1 };
            }
        }
    }
}
