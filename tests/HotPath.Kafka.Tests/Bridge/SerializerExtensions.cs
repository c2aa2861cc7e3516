using System.Buffers;
using HotPath.Kafka.Serialization;

namespace HotPath.Kafka.Tests.Bridge;

internal static class SerializerExtensions
{
    public static byte[] ToBytes<T>(this IEventSerializer<T> serializer, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(in value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
