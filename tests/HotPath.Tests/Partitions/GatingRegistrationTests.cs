using HotPath.Consumers;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// Lossless readers gate the writer through sequences registered with the partition: a reader starting at an offset of
/// its choice, readers leaving in any order, a reader registering after the last one left, a fenced reader's sequence
/// replaced. Each must keep the window a reader can read intact and let the writer use every slot nobody needs.
/// </summary>
public class GatingRegistrationTests
{
    public static TheoryData<PublishMode> Modes() => new() { PublishMode.SingleWriter, PublishMode.MultiWriter };

    private static Topic<TestEvent> CreateTopic(PublishMode mode, int capacity) =>
        new(new TopicOptions { Name = "gating", Capacity = capacity, PublishMode = mode });

    private static List<(long Offset, long Value)> Drain(PartitionReader<TestEvent> reader)
    {
        var seen = new List<(long Offset, long Value)>();
        while (reader.TryRead(out TestEvent @event, out long offset))
        {
            seen.Add((offset, @event.Value));
        }

        return seen;
    }

    private static void PublishValues(Topic<TestEvent> topic, long from, long to)
    {
        for (long value = from; value <= to; value++)
        {
            Assert.True(topic[0].TryPublish(new TestEvent(value), out long offset), $"room for {value}");
            Assert.Equal(value, offset);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void CreateReader_AtAnOffset_BothEndsOfTheWindowAcceptedOutsideRefusedWithoutGating(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 2);
        PublishValues(topic, 0, 4);
        Assert.Equal(3, topic[0].StartOffset);

        foreach (long outside in new long[] { 2, 6 })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic.CreateReader(0, offset: outside));
            Assert.Equal("offset", error.ParamName);
            Assert.Contains($"must be within the retained window [3, 5] of partition 0 of 'gating', was {outside}", error.Message);
        }

        // The refused readers left nothing behind: the writer is still ungated and laps the ring freely.
        PublishValues(topic, 5, 8);
        Assert.Equal(7, topic[0].StartOffset);

        using PartitionReader<TestEvent> atLow = topic.CreateReader(0, offset: 7);
        Assert.Equal([(7L, 7L), (8L, 8L)], Drain(atLow));
        using PartitionReader<TestEvent> atEnd = topic.CreateReader(0, offset: 9);
        Assert.Empty(Drain(atEnd));
        PublishValues(topic, 9, 9);
        Assert.Equal([(9L, 9L)], Drain(atEnd));
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter, 0)]
    [InlineData(PublishMode.SingleWriter, 1)]
    [InlineData(PublishMode.SingleWriter, 2)]
    [InlineData(PublishMode.MultiWriter, 0)]
    [InlineData(PublishMode.MultiWriter, 1)]
    [InlineData(PublishMode.MultiWriter, 2)]
    public void ReaderLeaves_AnyOfThree_TheOthersStillGateTheWriter(PublishMode mode, int leaving)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 2);
        PartitionReader<TestEvent>[] readers = [topic.CreateReader(0), topic.CreateReader(0), topic.CreateReader(0)];
        PublishValues(topic, 0, 1);
        for (int r = 0; r < readers.Length; r++)
        {
            if (r != leaving)
            {
                Assert.Equal([(0L, 0L), (1L, 1L)], Drain(readers[r]));
            }
        }

        Assert.False(topic[0].TryPublish(new TestEvent(2), out _), "the reader that has read nothing gates the writer");
        readers[leaving].Dispose();
        readers[leaving].Dispose();

        PublishValues(topic, 2, 3);
        Assert.False(topic[0].TryPublish(new TestEvent(4), out _), "the remaining readers have not read 2 and 3");
        int first = leaving == 0 ? 1 : 0;
        int second = leaving == 2 ? 1 : 2;
        Assert.Equal([(2L, 2L), (3L, 3L)], Drain(readers[first]));
        Assert.False(topic[0].TryPublish(new TestEvent(4), out _), "the other remaining reader still gates the writer");
        Assert.Equal([(2L, 2L), (3L, 3L)], Drain(readers[second]));
        PublishValues(topic, 4, 4);
        readers[first].Dispose();
        readers[second].Dispose();
    }

    /// <summary>
    /// The writer's gating cache may still hold the position of a reader that just left, and lets the writer lap up to
    /// it without looking again. A reader that registers after that (the partition now ungated) must start at or above
    /// the left reader's position, or the writer overwrites what it is about to read.
    /// </summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void ReaderRegistersAfterTheLastLeft_StartsAtTheLeftReadersPositionAndReadsIntactEvents(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 8);
        PartitionReader<TestEvent> first = topic.CreateReader(0);
        PublishValues(topic, 0, 7);
        Assert.Equal(8, Drain(first).Count);
        PublishValues(topic, 8, 8);
        first.Dispose();

        using PartitionReader<TestEvent> late = topic.CreateReader(0);
        Assert.Equal(8, late.Position);
        PublishValues(topic, 9, 15);

        List<(long Offset, long Value)> seen = Drain(late);
        Assert.Equal(Enumerable.Range(8, 8).Select(o => ((long)o, (long)o)), seen);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ReplaceGatingSequence_FencedReader_ReplacementGatesAndTheOldOneCannotSeek(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 2);
        Partition<TestEvent> partition = topic[0];
        Sequence old = partition.AddGatingSequence(OffsetReset.Earliest, null);
        PublishValues(topic, 0, 1);
        Assert.True(old.TrySet(1));

        Sequence replacement = partition.ReplaceGatingSequence(old);

        Assert.Equal(1, replacement.Read());
        PublishValues(topic, 2, 2);
        Assert.False(partition.TryPublish(new TestEvent(3), out _), "the replacement at 1 gates the writer");
        var error = Assert.Throws<InvalidOperationException>(() => partition.SeekGatingSequence(old, 0));
        Assert.Equal("the reader of partition 0 of 'gating' was fenced or closed: its seek to 0 was refused", error.Message);
        Assert.True(replacement.TrySet(3));
        PublishValues(topic, 3, 4);
        partition.RemoveGatingSequence(replacement);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ReplaceGatingSequence_AfterTheReaderLeft_ReplacementDoesNotGate(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 2);
        Partition<TestEvent> partition = topic[0];
        Sequence old = partition.AddGatingSequence(OffsetReset.Earliest, null);
        partition.RemoveGatingSequence(old);
        partition.RemoveGatingSequence(old);

        Sequence replacement = partition.ReplaceGatingSequence(old);

        Assert.Equal(0, replacement.Read());
        PublishValues(topic, 0, 5);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Seek_ToTheLowEndOfTheWindow_IsAccepted(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 8);
        using PartitionReader<TestEvent> holder = topic.CreateReader(0);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        PublishValues(topic, 0, 2);
        Assert.Equal(3, Drain(reader).Count);
        Assert.Equal(0, holder.CommittedOffset);

        reader.Seek(0);

        Assert.Equal([(0L, 0L), (1L, 1L), (2L, 2L)], Drain(reader));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void CapacityOne_ReaderBeforeTheFirstEvent_ReadsOffsetZero(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 1);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        Assert.Equal(0, reader.Position);

        PublishValues(topic, 0, 0);
        Assert.False(topic[0].TryPublish(new TestEvent(1), out _));

        Assert.Equal([(0L, 0L)], Drain(reader));
        PublishValues(topic, 1, 1);
        Assert.Equal([(1L, 1L)], Drain(reader));
    }
}
