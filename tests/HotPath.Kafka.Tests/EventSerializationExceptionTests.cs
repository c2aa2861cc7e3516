namespace HotPath.Kafka.Tests;

public sealed class EventSerializationExceptionTests
{
    [Fact]
    public void WithLocation_KnownPosition_MessageNamesTopicPartitionOffset()
    {
        var inner = new FormatException("bad");
        var ex = new EventSerializationException(typeof(int), "data length must equal 4: expected=4, actual=3", inner);

        EventSerializationException located = ex.WithLocation("orders", 2, 41);

        Assert.Equal("orders", located.Topic);
        Assert.Equal(2, located.Partition);
        Assert.Equal(41L, located.Offset);
        Assert.Same(inner, located.InnerException);
        Assert.Equal(
            "Event of type System.Int32: data length must equal 4: expected=4, actual=3 (topic=orders, partition=2, offset=41)",
            located.Message);
    }

    [Fact]
    public void WithLocation_UnknownOffset_MessageShowsQuestionMark()
    {
        var ex = new EventSerializationException(typeof(int), "failed").WithLocation("orders", 0, null);

        Assert.EndsWith("(topic=orders, partition=0, offset=?)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoLocation_MessageHasNoLocation()
    {
        var ex = new EventSerializationException(typeof(string), "failed");

        Assert.Equal("Event of type System.String: failed", ex.Message);
        Assert.Null(ex.Partition);
    }
}
