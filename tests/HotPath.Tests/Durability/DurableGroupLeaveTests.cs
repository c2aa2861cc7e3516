using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>A durable group that leaves while its committed offsets are ahead of what the journal acknowledged, and the deletion of a gone group's stored offsets.</summary>
public sealed class DurableGroupLeaveTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Leave_CommittedPastTheAcknowledgedEnd_StoresTheCommittedOffsetOnceTheJournalAcknowledgesIt()
    {
        // Interval sync, one hour apart: nothing is acknowledged until the topic closes (its close syncs).
        TopicOptions options = new()
        {
            Name = "orders",
            PartitionCount = 1,
            Capacity = 64,
            PublishMode = PublishMode.MultiWriter,
            Durability = new DurabilityOptions { Directory = _directory.Path, Sync = SyncPolicy.Interval, SyncInterval = TimeSpan.FromHours(1), SegmentBytes = 4096 },
        };
        using (var topic = new Topic<TestEvent>(options))
        {
            using (var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }))
            {
                group.Join(new ActionHandler((_, _, _, _) => { }));
                for (int i = 0; i < 40; i++)
                {
                    topic.PublishTo(0, new TestEvent(i));
                }

                Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 40, Timeout));
                Assert.Equal(0, topic[0].AcknowledgedEnd);
            }

            // The group left with 40 committed; the close acknowledges all 40 events.
        }

        using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(40, reopened[0].EndOffset);
        Assert.Equal(40, reopened.Recovery!.GroupOffsets.GetValueOrDefault(("billing", 0), -1));
    }

    [Fact]
    public void DeleteStoredOffsets_OfAGoneGroup_ItsNextInstanceStartsAsNewAcrossAReopen()
    {
        TopicOptions options = Options();
        using (var topic = new Topic<TestEvent>(options))
        {
            using (var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }))
            {
                group.Join(new ActionHandler((_, _, _, _) => { }));
                for (int i = 0; i < 10; i++)
                {
                    topic.PublishTo(i % 2, new TestEvent(i));
                }

                Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) + group.GetCommittedOffset("orders", 1) == 10, Timeout));
                var live = Assert.Throws<InvalidOperationException>(() => topic.DeleteStoredOffsets("billing"));
                Assert.Contains("group 'billing' is live on topic 'orders'", live.Message);
            }

            Assert.Equal([0, 1], topic.DeleteStoredOffsets("billing"));
            Assert.Empty(topic.DeleteStoredOffsets("billing"));
            using var again = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
            Assert.Equal(0, again.GetCommittedOffset("orders", 0));
        }

        // The new instance (no member) stored where it started: 0, not the deleted 5 and 5.
        using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(0, reopened.Recovery!.GroupOffsets[("billing", 0)]);
        Assert.Equal(0, reopened.Recovery.GroupOffsets[("billing", 1)]);
    }

    [Fact]
    public void DeleteStoredOffsets_BadArguments_AreRefusedNamingTheRule()
    {
        using var memory = new Topic<TestEvent>(new TopicOptions { Name = "memory", PartitionCount = 1, Capacity = 64 });
        Assert.Contains("is not durable", Assert.Throws<InvalidOperationException>(() => memory.DeleteStoredOffsets("g")).Message);
        using var topic = new Topic<TestEvent>(Options());
        Assert.Equal("groupId", Assert.Throws<ArgumentException>(() => topic.DeleteStoredOffsets("")).ParamName);
    }

    private TopicOptions Options() => new()
    {
        Name = "orders",
        PartitionCount = 2,
        Capacity = 64,
        Durability = new DurabilityOptions { Directory = _directory.Path, SegmentBytes = 4096 },
    };
}
