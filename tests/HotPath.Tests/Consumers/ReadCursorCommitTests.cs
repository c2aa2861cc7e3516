using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A cursor's commit lies between its committed offset and its position; only during a dispatch may the handler
/// commit up to the end of the batch it is in. Out of range, the commit throws naming the parameter, the range and the
/// value, and nothing moves.
/// </summary>
public class ReadCursorCommitTests
{
    private static Topic<TestEvent> CreateTopic() =>
        new(new TopicOptions { Name = "cursor-commits", Capacity = 8, PublishMode = PublishMode.SingleWriter });

    private static void Publish(Partition<TestEvent> partition, int count)
    {
        for (int i = 0; i < count; i++)
        {
            partition.Publish(new TestEvent(i));
        }
    }

    private sealed class BatchCounter : IBatchHandler<TestEvent>
    {
        public int Events { get; private set; }

        public void OnBatch(ReadOnlySpan<TestEvent> events, int partition, long firstOffset) => Events += events.Length;
    }

    private sealed class CommittingHandler(ReadCursor<TestEvent> cursor) : IEventHandler<TestEvent>
    {
        public List<long> Committed { get; } = [];

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Assert.True(cursor.TryCommit(offset + 1));
            Committed.Add(cursor.Committed);
        }
    }

    /// <summary>
    /// Once a dispatch is over, a commit may not pass the position, even where that dispatch reached: after a seek back
    /// (which moves the committed offset too), committing the old batch end is refused with the range in the message, and
    /// nothing moves.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryCommit_AfterADispatchAndASeekBack_RefusesAnOffsetPastThePosition(bool batch)
    {
        using Topic<TestEvent> topic = CreateTopic();
        Publish(topic[0], 5);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        if (batch)
        {
            var handler = new BatchCounter();
            Assert.Equal(5, cursor.DispatchBatch(ref handler, int.MaxValue));
        }
        else
        {
            var handler = new CollectingHandler();
            Assert.Equal(5, cursor.Dispatch(ref handler, int.MaxValue));
        }

        cursor.Seek(2);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => cursor.TryCommit(5));
        Assert.Equal("nextOffset", ex.ParamName);
        Assert.Equal(5L, ex.ActualValue);
        Assert.Contains("must be between the committed offset 2 and the position 2", ex.Message);
        Assert.Equal(2, cursor.Committed);
        Assert.Equal(2, cursor.Position);
    }

    /// <summary>A commit below the committed offset is refused, naming both, and nothing moves.</summary>
    [Fact]
    public void TryCommit_BelowTheCommittedOffset_ThrowsNamingTheRange()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Publish(topic[0], 5);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var handler = new CollectingHandler();
        Assert.Equal(5, cursor.Dispatch(ref handler, int.MaxValue));
        Assert.True(cursor.TryCommit(3));

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => cursor.TryCommit(1));
        Assert.Equal("nextOffset", ex.ParamName);
        Assert.Equal(1L, ex.ActualValue);
        Assert.Contains("must be between the committed offset 3 and the position 5", ex.Message);
        Assert.Equal(3, cursor.Committed);
    }

    /// <summary>
    /// A lossy cursor's handler may commit, during the dispatch, the offset after the event it is handling (it commits
    /// what it has seen), like a lossless one.
    /// </summary>
    [Fact]
    public void TryCommit_FromALossyHandlerMidBatch_CommitsTheOffsetAfterTheEvent()
    {
        using Topic<TestEvent> topic = CreateTopic();
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null, lossy: true);
        Publish(topic[0], 3);
        var handler = new CommittingHandler(cursor);

        Assert.Equal(3, cursor.Dispatch(ref handler, int.MaxValue));

        Assert.Equal([1L, 2L, 3L], handler.Committed);
        Assert.Equal(3, cursor.Committed);
    }
}
