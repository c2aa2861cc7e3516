using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>A durable group that leaves while its committed offsets are ahead of what the journal acknowledged.</summary>
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
}
