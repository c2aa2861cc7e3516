namespace HotPath.Kafka.Tests;

/// <summary>
/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) and default key partitioner, kept here only
/// as a test oracle that pins down what librdkafka's "murmur2_random" partitioner does.
/// </summary>
/// <remarks>
/// TODO: replace with HotPath.Partitioning.KafkaPartitioner once it is merged, and keep the cross-check
/// against librdkafka in KafkaPartitionerCompatibilityTests pointed at that port.
/// </remarks>
internal static class Murmur2Oracle
{
    public static int Hash(ReadOnlySpan<byte> data)
    {
        const uint Seed = 0x9747b28c;
        const uint M = 0x5bd1e995;
        const int R = 24;

        int length = data.Length;
        uint h = Seed ^ (uint)length;
        int blocks = length / 4;
        for (int i = 0; i < blocks; i++)
        {
            int at = i * 4;
            uint k = data[at] | ((uint)data[at + 1] << 8) | ((uint)data[at + 2] << 16) | ((uint)data[at + 3] << 24);
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        int tail = blocks * 4;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return (int)h;
    }

    /// <summary>Kafka's default partition for a non-null key: toPositive(murmur2(key)) % partitionCount.</summary>
    public static int Partition(ReadOnlySpan<byte> key, int partitionCount) => (Hash(key) & 0x7fffffff) % partitionCount;
}
