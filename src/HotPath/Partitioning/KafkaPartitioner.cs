using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HotPath.Partitioning;

/// <summary>
/// Apache Kafka's key partitioning: the 32-bit murmur2 hash of the Java client (<c>Utils.murmur2</c>) and the
/// keyed-record rule of its default partitioner, <c>toPositive(murmur2(key)) % partitionCount</c>.
/// </summary>
/// <remarks>
/// A key given here as the bytes a Java producer's key serializer writes lands on the same partition number as
/// that producer would choose for a topic with the same partition count. <see cref="Partitioner.Kafka"/> adds
/// the Java serializers' encodings for typed keys.
/// Thread safety: all members are pure functions and safe to call from any thread.
/// </remarks>
public static class KafkaPartitioner
{
    // Mixing constants of Kafka's murmur2 (MurmurHash2, 32-bit, with Kafka's fixed seed).
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>
    /// Computes Kafka's 32-bit murmur2 hash of <paramref name="data"/>, bit for bit as
    /// <c>org.apache.kafka.common.utils.Utils.murmur2(byte[])</c> does, as a signed integer.
    /// </summary>
    /// <param name="data">The key bytes; an empty span is hashed like any other key.</param>
    /// <returns>The signed hash, e.g. <c>-790332482</c> for the ASCII bytes of <c>"foobar"</c>.</returns>
    /// <remarks>Thread safety: pure function, safe from any thread. Does not allocate.</remarks>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        unchecked
        {
            // Java works on signed ints but uses only wrapping multiply, xor and the logical shift >>>,
            // so unsigned arithmetic gives identical bits.
            int length = data.Length;
            uint h = Seed ^ (uint)length;

            ReadOnlySpan<byte> blocks = data;
            while (blocks.Length >= 4)
            {
                uint k = BinaryPrimitives.ReadUInt32LittleEndian(blocks);
                k *= M;
                k ^= k >> R;
                k *= M;
                h *= M;
                h ^= k;
                blocks = blocks.Slice(4);
            }

            // The 0 to 3 trailing bytes, falling through like Java's switch.
            switch (blocks.Length)
            {
                case 3:
                    h ^= (uint)blocks[2] << 16;
                    goto case 2;
                case 2:
                    h ^= (uint)blocks[1] << 8;
                    goto case 1;
                case 1:
                    h ^= blocks[0];
                    h *= M;
                    break;
            }

            h ^= h >> 13;
            h *= M;
            h ^= h >> 15;
            return (int)h;
        }
    }

    /// <summary>
    /// Returns the partition Kafka's default partitioner picks for a keyed record:
    /// <c>(Murmur2(key) &amp; 0x7fffffff) % partitionCount</c>.
    /// </summary>
    /// <param name="key">The serialized key bytes; an empty span is a key like any other (not "no key").</param>
    /// <param name="partitionCount">The number of partitions of the topic; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>Thread safety: pure function, safe from any thread. Does not allocate.</remarks>
    public static int PartitionForKey(ReadOnlySpan<byte> key, int partitionCount)
    {
        if (partitionCount < 1)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(partitionCount), "must be at least 1", partitionCount);
        }

        return ToPositive(Murmur2(key)) % partitionCount;
    }

    /// <summary>
    /// Kafka's <c>Utils.toPositive</c>: clears the sign bit. Unlike <see cref="Math.Abs(int)"/> it never throws and
    /// maps <see cref="int.MinValue"/> to 0; a negative input does not become its absolute value.
    /// </summary>
    /// <param name="number">Any integer.</param>
    /// <returns><paramref name="number"/> with the sign bit cleared.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ToPositive(int number) => number & 0x7fffffff;
}
