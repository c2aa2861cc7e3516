using System.Buffers;
using System.Text;
using System.Text.Json;
using HotPath.Kafka.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

public sealed class JsonEventSerializerTests
{
    [Fact]
    public void Serialize_WithTypeInfo_RoundTrips()
    {
        var serializer = new JsonEventSerializer<OrderPlaced>(TestJsonContext.Default.OrderPlaced);
        var order = new OrderPlaced("o-17", 3, 99.5m, ["fast", "gift"]);
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(order, buffer);
        OrderPlaced back = serializer.Deserialize(buffer.WrittenSpan);

        Assert.Equal(order.OrderId, back.OrderId);
        Assert.Equal(order.Quantity, back.Quantity);
        Assert.Equal(order.Price, back.Price);
        Assert.Equal(order.Tags, back.Tags);
    }

    [Fact]
    public void Serialize_WithOptions_WritesUtf8JsonUsingTheOptions()
    {
        var serializer = new JsonEventSerializer<OrderPlaced>(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(new OrderPlaced("o-1", 1, 1m, []), buffer);

        string json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("\"order_id\":\"o-1\"", json, StringComparison.Ordinal);
        Assert.Equal("o-1", serializer.Deserialize(buffer.WrittenSpan).OrderId);
    }

    [Fact]
    public void Deserialize_InvalidJson_ThrowsWithInnerJsonException()
    {
        var serializer = new JsonEventSerializer<OrderPlaced>(TestJsonContext.Default.OrderPlaced);

        var ex = Assert.Throws<EventSerializationException>(() => serializer.Deserialize("{\"OrderId\": 12"u8));

        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
        Assert.Equal(typeof(OrderPlaced), ex.EventType);
        Assert.Contains("length=14", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_Empty_Throws()
    {
        var serializer = new JsonEventSerializer<OrderPlaced>(TestJsonContext.Default.OrderPlaced);

        var ex = Assert.Throws<EventSerializationException>(() => serializer.Deserialize([]));

        Assert.Contains("length=0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_JsonNull_ThrowsNamingTheRule()
    {
        var serializer = new JsonEventSerializer<OrderPlaced>(TestJsonContext.Default.OrderPlaced);

        var ex = Assert.Throws<EventSerializationException>(() => serializer.Deserialize("null"u8));

        Assert.Contains("must not be the JSON literal null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_UnsupportedMember_ThrowsEventSerializationException()
    {
        var serializer = new JsonEventSerializer<WithDelegate>();
        var buffer = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<EventSerializationException>(() => serializer.Serialize(new WithDelegate { Callback = () => { } }, buffer));

        Assert.Equal(typeof(WithDelegate), ex.EventType);
        Assert.NotNull(ex.InnerException);
    }

    public sealed class WithDelegate
    {
        public Action? Callback { get; set; }
    }
}
