using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>The event the bridge tests send around: a key id and a global index that identifies it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BridgeEvent
{
    public int KeyId;
    public long Index;

    /// <summary>The record key, as the local topic hashed it with <c>Partitioner.Kafka</c> (UTF-8 of a string).</summary>
    public static string KeyOf(int keyId) => "customer-" + keyId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The mirror's key writer: the same bytes the local partitioner hashed.</summary>
    public static void WriteKey(ref readonly BridgeEvent @event, IBufferWriter<byte> output) =>
        Encoding.UTF8.GetBytes(KeyOf(@event.KeyId), output);
}
