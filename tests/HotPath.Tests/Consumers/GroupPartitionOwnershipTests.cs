using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HotPath.Consumers;
using HotPath.Diagnostics;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// One partition as a group sees it: at most one owner, a fence that touches only the failed member's partitions,
/// commit errors that name the partition and the member, and the per-batch process-duration measurement.
/// </summary>
public sealed class GroupPartitionOwnershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions = 1, string name = "orders") =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 64 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>Ownership moves only through "no owner": another member is refused, the owner may take it again.</summary>
    [Fact]
    public void TryTakeOwnership_OwnedByAnotherMember_RefusedUntilTheOwnerReleasesIt()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "owners" });
        MemberWorker<TestEvent> a = group.Join(Idle(), "a").Worker;
        MemberWorker<TestEvent> b = group.Join(Idle(), "b").Worker;
        using var spare = CreateTopic(name: "spare");
        var partition = new GroupPartition<TestEvent>(new TopicPartition("spare", 0), spare[0], OffsetReset.Earliest, lossy: false, readCommitted: true);

        Assert.True(partition.TryTakeOwnership(a));
        Assert.True(partition.TryTakeOwnership(a), "the owner taking its own partition again");
        Assert.False(partition.TryTakeOwnership(b), "another member while the first owns it");
        partition.ReleaseOwnership(b, partition.Cursor);
        Assert.Same(a, partition.Owner);

        partition.ReleaseOwnership(a, partition.Cursor);
        Assert.True(partition.TryTakeOwnership(b));
        Assert.Same(b, partition.Owner);
    }

    /// <summary>
    /// Declaring one member failed fences its partitions only: the other member's partition keeps its cursor and is
    /// never reported lost.
    /// </summary>
    [Fact]
    public void DeclareFailed_OtherMembersPartition_KeepsItsCursorAndIsNotLost()
    {
        using var topic = CreateTopic(partitions: 2);
        var listener = new RecordingListener();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "fence-one", RebalanceListener = listener });
        GroupMember<TestEvent> a = group.Join(Idle(), "a");
        group.Join(Idle(), "b");
        int ofB = group.GetOwner("orders", 0) == "b" ? 0 : 1;
        Assert.Equal("b", group.GetOwner("orders", ofB));
        ReadCursor<TestEvent> cursorOfB = group.TestCursor("orders", ofB);

        group.TestFence(a);

        Assert.Same(cursorOfB, group.TestCursor("orders", ofB));
        Assert.DoesNotContain(listener.Calls, c => c.Kind == "lost" && c.Member == "b");
        Assert.Equal("b", group.GetOwner("orders", 0));
        Assert.Equal("b", group.GetOwner("orders", 1));
    }

    /// <summary>A commit from a thread other than the owner's names the partition and the owner.</summary>
    [Fact]
    public void Commit_FromAnotherThreadWhileOwned_MessageNamesPartitionAndOwner()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        group.Join(Idle(), "owner-1");

        var error = Assert.Throws<InvalidOperationException>(() => group.Commit("orders", 0, 0));

        Assert.Contains("commit of orders-0 must run on the thread of the member that owns it (owner-1)", error.Message);
    }

    /// <summary>A commit on a partition nobody owns says so.</summary>
    [Fact]
    public void Commit_PartitionWithoutOwner_MessageSaysNoOwner()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });

        var error = Assert.Throws<InvalidOperationException>(() => group.Commit("orders", 0, 0));

        Assert.Contains("commit of orders-0 must run on the thread of the member that owns it (no owner)", error.Message);
    }

    /// <summary>
    /// A manual commit by a member fenced between its ownership check and its commit is refused; the message names
    /// the partition, the member, the fence and the committed offset the next owner resumes from.
    /// </summary>
    [Fact]
    public void Commit_ByMemberFencedBeforeItCommits_MessageNamesMemberFenceAndCommittedOffset()
    {
        using var topic = CreateTopic();
        for (int i = 0; i < 3; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        using var atCommit = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        Exception? commitError = null;
        group.TestBeforeManualCommit = () =>
        {
            atCommit.Set();
            release.Wait();
        };
        GroupMember<TestEvent> old = group.Join(
            new ActionHandler((_, _, offset, _) =>
            {
                if (offset != 2)
                {
                    return;
                }

                try
                {
                    group.Commit("orders", 0, 3);
                }
                catch (Exception ex)
                {
                    commitError = ex;
                }
                finally
                {
                    done.Set();
                }
            }),
            "old");
        Assert.True(atCommit.Wait(Timeout));

        group.TestFence(old);
        release.Set();
        Assert.True(done.Wait(Timeout));

        var error = Assert.IsType<InvalidOperationException>(commitError);
        Assert.Contains("commit of orders-0 by member 'old' was refused", error.Message);
        Assert.Contains("fenced", error.Message);
        Assert.Contains("committed offset 0", error.Message);
        Assert.Equal(0, group.GetCommittedOffset("orders", 0));
    }

    /// <summary>
    /// With a listener on the process-duration histogram, each handled batch is recorded with the messaging tags:
    /// system, topic, partition and group.
    /// </summary>
    [Fact]
    public void ProcessDuration_Listened_RecordsBatchesWithMessagingTags()
    {
        var seen = new ConcurrentQueue<(double Seconds, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HotPathMetrics.MeterName && instrument.Name == "messaging.process.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            seen.Enqueue((value, map));
        });
        listener.Start();
        using var topic = CreateTopic(partitions: 2, name: "timed");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "timed-group" });
        group.Join(Idle());

        topic.PublishTo(1, new TestEvent(1));

        // Other tests' groups may be measured too: pick ours by its group name, whatever the tag is called.
        Assert.True(SpinWait.SpinUntil(() => seen.Any(m => m.Tags.Values.Contains("timed-group")), Timeout), "no measurement of the group");
        var measurement = seen.First(m => m.Tags.Values.Contains("timed-group"));
        Assert.True(measurement.Seconds >= 0, $"duration {measurement.Seconds}");
        Assert.Equal(
            [("messaging.consumer.group.name", "timed-group"), ("messaging.destination.name", "timed"), ("messaging.destination.partition.id", "1"), ("messaging.system", "hotpath")],
            measurement.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value as string)));
    }
}
