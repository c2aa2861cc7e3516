using System.Text;
using FsCheck.Xunit;
using HotPath.Partitioning;

namespace HotPath.Tests.Partitioning;

public class KafkaPartitionerTests
{
    // Vectors of Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
    // The keys are ASCII, so Java's String.getBytes() and .NET's UTF-8 give the same bytes.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    public void Murmur2_KafkaVector_MatchesJavaClient(string key, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void Murmur2_RawBytesAbc_MatchesJavaClient()
    {
        Assert.Equal(479470107, KafkaPartitioner.Murmur2(new byte[] { (byte)'a', (byte)'b', (byte)'c' }));
    }

    [Fact]
    public void Murmur2_EmptyKey_HashesSeedAndZeroLength()
    {
        // Only the final mixes run: h = seed ^ 0; h ^= h >>> 13; h *= m; h ^= h >>> 15.
        Assert.Equal(275646681, KafkaPartitioner.Murmur2(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Murmur2_SliceOfLargerBuffer_EqualsHashOfCopy()
    {
        byte[] buffer = Encoding.ASCII.GetBytes("xx-a-little-bit-longer-string-yy");
        ReadOnlySpan<byte> slice = buffer.AsSpan(3, "a-little-bit-longer-string".Length);

        Assert.Equal(-1486304829, KafkaPartitioner.Murmur2(slice));
    }

    // Expected values by hand from the formula (murmur2(key) & 0x7fffffff) % n, with the hashes above:
    //   "21"      -973932308 & 0x7fffffff = 1173551340 -> %1 0, %2 0, %7 3, %10 0, %12 0, %50 40, %1000 340
    //   "foobar"  -790332482 & 0x7fffffff = 1357151166 -> %3 0, %7 0, %10 6, %12 6, %50 16, %1000 166
    //   long      -985981536 & 0x7fffffff = 1161502112 -> %3 2, %7 1, %12 8, %50 12
    //   longer   -1486304829 & 0x7fffffff =  661178819 -> %2 1, %10 9, %12 11, %1000 819
    //   lkjh...    -58897971 & 0x7fffffff = 2088585677 -> %7 3, %12 5, %50 27
    //   "abc"      479470107 (already positive)        -> %7 4, %10 7, %1000 107
    //   ""         275646681                           -> %12 9, %50 31
    [Theory]
    [InlineData("21", 1, 0)]
    [InlineData("21", 2, 0)]
    [InlineData("21", 7, 3)]
    [InlineData("21", 10, 0)]
    [InlineData("21", 12, 0)]
    [InlineData("21", 50, 40)]
    [InlineData("21", 1000, 340)]
    [InlineData("foobar", 3, 0)]
    [InlineData("foobar", 7, 0)]
    [InlineData("foobar", 10, 6)]
    [InlineData("foobar", 12, 6)]
    [InlineData("foobar", 50, 16)]
    [InlineData("foobar", 1000, 166)]
    [InlineData("a-little-bit-long-string", 3, 2)]
    [InlineData("a-little-bit-long-string", 7, 1)]
    [InlineData("a-little-bit-long-string", 12, 8)]
    [InlineData("a-little-bit-long-string", 50, 12)]
    [InlineData("a-little-bit-longer-string", 2, 1)]
    [InlineData("a-little-bit-longer-string", 10, 9)]
    [InlineData("a-little-bit-longer-string", 12, 11)]
    [InlineData("a-little-bit-longer-string", 1000, 819)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 7, 3)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 12, 5)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 50, 27)]
    [InlineData("abc", 7, 4)]
    [InlineData("abc", 10, 7)]
    [InlineData("abc", 1000, 107)]
    [InlineData("", 12, 9)]
    [InlineData("", 50, 31)]
    public void PartitionForKey_KafkaVector_MatchesFormula(string key, int partitionCount, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.PartitionForKey(Encoding.UTF8.GetBytes(key), partitionCount));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void PartitionForKey_PartitionCountBelowOne_ThrowsNamingRuleAndValue(int partitionCount)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => KafkaPartitioner.PartitionForKey("k"u8, partitionCount));

        Assert.Equal("partitionCount", ex.ParamName);
        Assert.StartsWith($"partitionCount must be at least 1, was {partitionCount}", ex.Message);
    }

    [Fact]
    public void PartitionForKey_PartitionCountZero_NamesParameterRuleAndValue()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => KafkaPartitioner.PartitionForKey("k"u8, 0));

        Assert.StartsWith("partitionCount must be at least 1, was 0 (Parameter 'partitionCount')", ex.Message);
        Assert.Equal(0, ex.ActualValue);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 10)]
    [InlineData(-1, int.MaxValue)]
    [InlineData(int.MinValue, 0)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(-10, 2147483638)]
    public void ToPositive_AnyInt_ClearsSignBitLikeKafka(int number, int expected)
    {
        // Kafka's toPositive is number & 0x7fffffff, not Math.Abs: -10 -> 2^31 - 10, MinValue -> 0.
        Assert.Equal(expected, KafkaPartitioner.ToPositive(number));
    }

    [Property(MaxTest = 500)]
    public void Murmur2_RandomBytes_EqualsLiteralJavaPort(byte[]? data)
    {
        data ??= [];
        Assert.Equal(JavaMurmur2(data), KafkaPartitioner.Murmur2(data));
    }

    // A line-by-line transcription of Utils.murmur2: signed ints, byte-wise little-endian assembly with '+',
    // Java's >>> as a shift of the unsigned value. Independent of the span and block-read code under test.
    private static int JavaMurmur2(byte[] data)
    {
        unchecked
        {
            int length = data.Length;
            int seed = (int)0x9747b28c;
            const int m = 0x5bd1e995;
            const int r = 24;
            int h = seed ^ length;
            int length4 = length / 4;
            for (int i = 0; i < length4; i++)
            {
                int i4 = i * 4;
                int k = (data[i4 + 0] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
                    + ((data[i4 + 3] & 0xff) << 24);
                k *= m;
                k ^= (int)((uint)k >> r);
                k *= m;
                h *= m;
                h ^= k;
            }

            int tail = length % 4;
            if (tail >= 3)
            {
                h ^= (data[(length & ~3) + 2] & 0xff) << 16;
            }

            if (tail >= 2)
            {
                h ^= (data[(length & ~3) + 1] & 0xff) << 8;
            }

            if (tail >= 1)
            {
                h ^= data[length & ~3] & 0xff;
                h *= m;
            }

            h ^= (int)((uint)h >> 13);
            h *= m;
            h ^= (int)((uint)h >> 15);
            return h;
        }
    }
}
