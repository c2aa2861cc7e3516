using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>A pull reader's arguments: the smallest legal batch, and messages that name the parameter, the rule and the value.</summary>
public sealed class PartitionReaderMessageTests
{
    private static Topic<TestEvent> CreateTopic() =>
        new(new TopicOptions { Name = "orders", PartitionCount = 1, Capacity = 8 });

    /// <summary>An offset reset that is neither Earliest nor Latest is refused with the rule and the value.</summary>
    [Fact]
    public void CreateReader_ResetOutOfRange_MessageNamesResetRuleAndValue()
    {
        using var topic = CreateTopic();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic.CreateReader(0, (OffsetReset)4));

        Assert.Contains("reset must be Earliest or Latest, was 4", error.Message);
    }

    /// <summary>A batch of fewer than one event is refused with the rule and the value.</summary>
    [Fact]
    public void Poll_MaxEventsZero_MessageNamesMaxEventsRuleAndValue()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        var handler = new CollectingHandler();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => reader.Poll(ref handler, maxEvents: 0));

        Assert.Contains("maxEvents must be at least 1, was 0", error.Message);
    }

    /// <summary>A batch of one event is legal: it hands out and commits exactly one event.</summary>
    [Fact]
    public void Poll_MaxEventsOne_HandsOutAndCommitsOneEvent()
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        for (int i = 0; i < 3; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        var handler = new CollectingHandler();
        int count = reader.Poll(ref handler, maxEvents: 1);

        Assert.Equal(1, count);
        Assert.Equal([0L], handler.Seen.Select(s => s.Offset));
        Assert.Equal(1, reader.CommittedOffset);
    }
}
