using System.Buffers;
using System.Runtime.InteropServices;
using HotPath.Kafka.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

public sealed class UnmanagedEventSerializerTests
{
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct PriceTick
    {
        public long Sequence;
        public int InstrumentId;
        public double Price;
        public byte Side;
    }

    private readonly UnmanagedEventSerializer<PriceTick> _serializer = new();

    [Fact]
    public void Size_PackedStruct_EqualsSumOfFields()
    {
        Assert.Equal(8 + 4 + 8 + 1, _serializer.Size);
    }

    [Fact]
    public void Serialize_ThenDeserialize_RoundTrips()
    {
        var tick = new PriceTick { Sequence = long.MaxValue - 7, InstrumentId = -42, Price = 101.25, Side = 2 };
        var buffer = new ArrayBufferWriter<byte>();

        _serializer.Serialize(tick, buffer);
        PriceTick back = _serializer.Deserialize(buffer.WrittenSpan);

        Assert.Equal(_serializer.Size, buffer.WrittenCount);
        Assert.Equal(tick, back);
    }

    [Fact]
    public void Serialize_TwoEventsIntoOneWriter_AppendsWithoutOverwriting()
    {
        var buffer = new ArrayBufferWriter<byte>();
        _serializer.Serialize(new PriceTick { Sequence = 1 }, buffer);
        _serializer.Serialize(new PriceTick { Sequence = 2 }, buffer);

        int size = _serializer.Size;
        Assert.Equal(2 * size, buffer.WrittenCount);
        Assert.Equal(1, _serializer.Deserialize(buffer.WrittenSpan[..size]).Sequence);
        Assert.Equal(2, _serializer.Deserialize(buffer.WrittenSpan[size..]).Sequence);
    }

    [Fact]
    public void Serialize_LittleEndianLayout_PutsFieldsAtDeclaredOffsets()
    {
        var buffer = new ArrayBufferWriter<byte>();
        _serializer.Serialize(new PriceTick { Sequence = 0x0102030405060708, InstrumentId = 0x0A0B0C0D, Side = 0xEE }, buffer);

        byte[] bytes = buffer.WrittenSpan.ToArray();
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }, bytes[..8]);
        Assert.Equal(new byte[] { 0x0D, 0x0C, 0x0B, 0x0A }, bytes[8..12]);
        Assert.Equal(0xEE, bytes[20]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(22)]
    public void Deserialize_WrongLength_ThrowsWithExpectedAndActual(int length)
    {
        var ex = Assert.Throws<EventSerializationException>(() => _serializer.Deserialize(new byte[length]));

        Assert.Equal(typeof(PriceTick), ex.EventType);
        Assert.Contains("expected=21", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"actual={length}", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.Topic);
    }

    [Fact]
    public void Serialize_NullWriter_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>("output", () => _serializer.Serialize(default, null!));
    }
}
