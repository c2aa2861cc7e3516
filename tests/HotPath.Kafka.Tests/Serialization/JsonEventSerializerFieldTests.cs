using System.Buffers;
using System.Text;
using System.Text.Json;
using HotPath.Kafka.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

/// <summary>
/// Events with public fields (the README's style) are carried field by field, never as <c>{}</c> and back as zeros;
/// a type whose JSON contract would lose members is refused when the serializer is built.
/// </summary>
public sealed class JsonEventSerializerFieldTests
{
    [Fact]
    public void Serialize_StructWithPublicFields_WritesEveryFieldAndReadsItBack()
    {
        var serializer = new JsonEventSerializer<FieldOrder>();
        var order = new FieldOrder { CustomerId = 7, OrderId = 8, Amount = 9.5m };
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(order, buffer);

        Assert.Equal("{\"CustomerId\":7,\"OrderId\":8,\"Amount\":9.5}", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(order, serializer.Deserialize(buffer.WrittenSpan));
    }

    [Fact]
    public void Deserialize_JsonOfStructWithPublicFields_ReadsTheFields()
    {
        var serializer = new JsonEventSerializer<FieldOrder>();

        FieldOrder order = serializer.Deserialize("{\"CustomerId\":7,\"OrderId\":8,\"Amount\":9.5}"u8);

        Assert.Equal(new FieldOrder { CustomerId = 7, OrderId = 8, Amount = 9.5m }, order);
    }

    [Fact]
    public void Serialize_OptionsWithoutIncludeFields_WritesFieldsAndKeepsTheOtherOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        var serializer = new JsonEventSerializer<MixedOrder>(options);
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(new MixedOrder { Id = 3, Amount = 4.5m }, buffer);

        Assert.Equal("{\"id\":3,\"amount\":4.5}", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(new MixedOrder { Id = 3, Amount = 4.5m }, serializer.Deserialize(buffer.WrittenSpan));
        // The caller's instance is neither changed nor frozen.
        Assert.False(options.IncludeFields);
        Assert.False(options.IsReadOnly);
    }

    [Fact]
    public void Serialize_TypeInfoWithFields_RoundTripsEveryField()
    {
        var serializer = new JsonEventSerializer<MixedOrder>(FieldsIncludedJsonContext.Default.MixedOrder);
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(new MixedOrder { Id = 3, Amount = 4.5m }, buffer);

        Assert.Equal(new MixedOrder { Id = 3, Amount = 4.5m }, serializer.Deserialize(buffer.WrittenSpan));
        Assert.All(FieldsIncludedJsonContext.Default.MixedOrder.Properties, p => Assert.NotNull(p.AttributeProvider));
    }

    [Fact]
    public void Constructor_TypeWithNothingToSerialize_ThrowsNamingTheType()
    {
        var ex = Assert.Throws<EventSerializationException>(() => new JsonEventSerializer<NoMembers>());

        Assert.Equal(typeof(NoMembers), ex.EventType);
        Assert.Contains("NoMembers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no member to serialize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TypeInfoWithoutFieldsForFieldStruct_ThrowsNamingTheFields()
    {
        var ex = Assert.Throws<EventSerializationException>(() => new JsonEventSerializer<FieldOrder>(FieldsExcludedJsonContext.Default.FieldOrder));

        Assert.Equal(typeof(FieldOrder), ex.EventType);
        Assert.Contains("CustomerId, OrderId, Amount", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IncludeFields", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TypeInfoThatDropsOneField_ThrowsNamingIt()
    {
        var ex = Assert.Throws<EventSerializationException>(() => new JsonEventSerializer<MixedOrder>(FieldsExcludedJsonContext.Default.MixedOrder));

        Assert.Equal(typeof(MixedOrder), ex.EventType);
        Assert.Contains("Amount", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_OptionsWithSourceGeneratedResolverWithoutFields_StillWritesFields()
    {
        var serializer = new JsonEventSerializer<MixedOrder>(new JsonSerializerOptions { TypeInfoResolver = FieldsExcludedJsonContext.Default });
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(new MixedOrder { Id = 3, Amount = 4.5m }, buffer);

        Assert.Equal("{\"Id\":3,\"Amount\":4.5}", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
