using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalArgumentTests
{
    private const int EventSize = JournalTestDirectory.EventSize;

    [Fact]
    public void AppendEvents_FirstOffsetNotEndOffset_ThrowsNamingParameterRuleAndValue()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 3), 0);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendEvents(5, JournalTestDirectory.Events(5, 1), 0));

        Assert.Equal("firstOffset", ex.ParamName);
        Assert.Equal(5L, ex.ActualValue);
        Assert.Contains("end offset 3", ex.Message);
        Assert.Contains("was 5", ex.Message);
        Assert.Equal(3, journal.EndOffset);
    }

    [Fact]
    public void AppendGap_FirstOffsetNotEndOffset_ThrowsNamingParameterRuleAndValue()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendGap(1, 2, 0));

        Assert.Equal("firstOffset", ex.ParamName);
        Assert.Contains("end offset 0", ex.Message);
        Assert.Contains("was 1", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(33)]
    public void AppendEvents_LengthNotPositiveMultipleOfEventSize_ThrowsNamingEventsAndLength(int length)
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();

        var ex = Assert.Throws<ArgumentException>(() => journal.AppendEvents(0, new byte[length], 0));

        Assert.Equal("events", ex.ParamName);
        Assert.Contains($"was {length} bytes", ex.Message);
        Assert.Contains("16 bytes", ex.Message);
        Assert.Equal(0, journal.EndOffset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void AppendGap_CountBelowOne_ThrowsNamingCountAndValue(long count)
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendGap(0, count, 0));

        Assert.Equal("count", ex.ParamName);
        Assert.Contains($"was {count}", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(10)]
    public void Read_OffsetOutsideReadableWindow_ThrowsNamingOffsetWindowAndValue(long offset)
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 4), 0);
        journal.Flush();
        journal.AppendEvents(4, JournalTestDirectory.Events(4, 4), 0);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => journal.Read(offset, new byte[EventSize]));

        Assert.Equal("offset", ex.ParamName);
        Assert.Contains("[0, 4)", ex.Message);
        Assert.Contains($"was {offset}", ex.Message);
    }

    [Fact]
    public void Read_DestinationSmallerThanOneEvent_ThrowsNamingDestination()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 1), 0);
        journal.Flush();

        var ex = Assert.Throws<ArgumentException>(() => journal.Read(0, new byte[EventSize - 1]));

        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("was 15 bytes", ex.Message);
    }

    [Fact]
    public void Open_EventSizeZero_ThrowsNamingEventSize()
    {
        using var dir = new JournalTestDirectory();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PartitionJournal.Open(dir.Partition, 0, new JournalSettings(1 << 20)));

        Assert.Equal("eventSize", ex.ParamName);
        Assert.Contains("was 0", ex.Message);
    }

    [Fact]
    public void Append_AfterDispose_ThrowsObjectDisposed()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open();
        journal.Dispose();
        journal.Dispose();

        Assert.Throws<ObjectDisposedException>(() => journal.AppendGap(0, 1, 0));
    }
}
