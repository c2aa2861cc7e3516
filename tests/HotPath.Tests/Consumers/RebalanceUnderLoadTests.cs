using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Rebalances while a writer keeps publishing into a small ring: members join and leave in cycles, and the group
/// must never let two members handle one partition at once, and must hand every event over exactly once (commit
/// after each batch, clean revokes) in offset order.
/// </summary>
public sealed class RebalanceUnderLoadTests(ITestOutputHelper output)
{
    private const string TopicName = "load";
    private const int Partitions = 4;
    private const int Keys = 32;
    private const int Cycles = 20;
    private const int EventsPerCycle = 1_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("range")]
    [InlineData("roundrobin")]
    [InlineData("cooperative-sticky")]
    public void JoinLeaveCycles_WhileWriterPublishes_NoPartitionHasTwoHandlersAndNothingIsLost(string assignorName)
    {
        IPartitionAssignor assignor = assignorName switch
        {
            "range" => new RangeAssignor(),
            "roundrobin" => new RoundRobinAssignor(),
            _ => new CooperativeStickyAssignor(),
        };
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = TopicName, PartitionCount = Partitions, Capacity = 64 });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "cycles", Assignor = assignor });
        // A short busy delay per event keeps handlers inside their partitions long enough for an overlap to show.
        var handler = new RecordingHandler(Partitions) { DelayMicroseconds = 2 };
        int joined = 0;
        var members = new List<GroupMember<TestEvent>> { group.Join(handler.For($"m{joined++}")) };
        using var stop = new CancellationTokenSource();
        long published = 0;
        var writer = Task.Run(() =>
        {
            // Cancellable publish: a stalled group fails the test instead of hanging it.
            try
            {
                for (long i = 0; !stop.IsCancellationRequested; i++)
                {
                    int partition = topic.PartitionFor(i % Keys);
                    topic[partition].Publish(new TestEvent(i, (int)(i % Keys)), stop.Token);
                    Volatile.Write(ref published, i + 1);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped while the ring was full: nothing was published by the cancelled call.
            }
        });

        var random = new Random(assignorName.Length);
        var clock = Stopwatch.StartNew();
        try
        {
            for (int cycle = 0; cycle < Cycles; cycle++)
            {
                int joins = random.Next(1, 3);
                for (int j = 0; j < joins; j++)
                {
                    members.Add(group.Join(handler.For($"m{joined++}")));
                }

                WaitForMoreDeliveries(handler, EventsPerCycle, $"cycle {cycle} after join");
                int leaves = Math.Min(random.Next(1, 3), members.Count - 1);
                for (int l = 0; l < leaves; l++)
                {
                    GroupMember<TestEvent> leaving = members[random.Next(members.Count)];
                    leaving.Leave();
                    members.Remove(leaving);
                    Assert.Empty(leaving.Assignment);
                }

                WaitForMoreDeliveries(handler, EventsPerCycle, $"cycle {cycle} after leave");
                Assert.True(handler.Overlaps == 0, $"cycle {cycle}: two members handled one partition at once");
            }
        }
        finally
        {
            stop.Cancel();
        }

        Assert.True(writer.Wait(Timeout), "the writer did not stop");
        long total = Volatile.Read(ref published);
        Assert.True(
            SpinWait.SpinUntil(() => handler.Deliveries.Count >= total && Enumerable.Range(0, Partitions).All(p => group.GetLag(TopicName, p) == 0), Timeout),
            $"group did not drain: {handler.Deliveries.Count} of {total} deliveries");
        output.WriteLine($"{assignorName}: {Cycles} cycles, {group.RebalanceCount} rebalances, {total:N0} events in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(0, handler.Overlaps);
        Assert.Equal(total, handler.Deliveries.Count);
        Dictionary<int, List<long>> offsets = handler.OffsetsByPartition();
        foreach (var partition in topic.Partitions)
        {
            Assert.Equal(Enumerable.Range(0, (int)partition.EndOffset).Select(i => (long)i), offsets.GetValueOrDefault(partition.Id, []));
        }

        var lastPerKey = new long[Keys];
        Array.Fill(lastPerKey, -1);
        foreach (var delivery in handler.Deliveries)
        {
            int key = (int)(delivery.Value % Keys);
            Assert.True(delivery.Value > lastPerKey[key], $"key {key}: value {delivery.Value} after {lastPerKey[key]}");
            lastPerKey[key] = delivery.Value;
        }

        Assert.All(members, m => Assert.Equal(MemberState.Running, m.State));
        Assert.Equal(Partitions, group.Assignment.Values.SelectMany(p => p).Distinct().Count());
    }

    private static void WaitForMoreDeliveries(RecordingHandler handler, int more, string when)
    {
        long target = handler.Deliveries.Count + more;
        Assert.True(handler.WaitForCount(target, Timeout), $"{when}: deliveries stalled at {handler.Deliveries.Count} (wanted {target})");
    }
}
