using System.Text;
using HotPath.Partitioning;

namespace HotPath.Tests.Partitioning;

public class KafkaMurmur2PartitionerTests : PartitionerContractTests
{
    protected override Partitioner Subject => Partitioner.Kafka;

    protected override string ExpectedName => "Kafka";

    // IntegerSerializer / LongSerializer: big-endian.
    protected override byte[] ExpectedInt32Bytes(int key) =>
        [(byte)(key >> 24), (byte)(key >> 16), (byte)(key >> 8), (byte)key];

    protected override byte[] ExpectedInt64Bytes(long key)
    {
        var bytes = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(key >> (56 - (8 * i)));
        }

        return bytes;
    }

    // UUIDSerializer: UTF-8 of UUID.toString(), lowercase canonical.
    protected override byte[] ExpectedGuidBytes(Guid key) =>
        Encoding.ASCII.GetBytes(key.ToString("D").ToLowerInvariant());

    // StringSerializer: UTF-8.
    protected override byte[] ExpectedStringBytes(string key) => Encoding.UTF8.GetBytes(key);

    [Theory]
    [InlineData("foobar", 10, 6)]
    [InlineData("foobar", 50, 16)]
    [InlineData("21", 50, 40)]
    public void PartitionForString_KafkaVector_MatchesJavaProducer(string key, int partitionCount, int expected)
    {
        Assert.Equal(expected, Subject.PartitionFor(key, partitionCount));
    }

    [Fact]
    public void PartitionForInt64_FortyTwo_HashesBigEndianBytes()
    {
        byte[] javaLongSerializer = [0, 0, 0, 0, 0, 0, 0, 42];

        Assert.Equal(KafkaPartitioner.PartitionForKey(javaLongSerializer, 1000), Subject.PartitionFor(42L, 1000));
        Assert.Equal(KafkaPartitioner.Murmur2(javaLongSerializer) & 0x7fffffff, Subject.PartitionFor(42L, int.MaxValue));
    }

    [Fact]
    public void PartitionForInt32_FortyTwo_HashesBigEndianBytes()
    {
        byte[] javaIntegerSerializer = [0, 0, 0, 42];

        Assert.Equal(KafkaPartitioner.PartitionForKey(javaIntegerSerializer, 1000), Subject.PartitionFor(42, 1000));
    }

    [Fact]
    public void PartitionForGuid_UppercaseParsed_HashesLowercaseCanonicalText()
    {
        var key = Guid.Parse("123E4567-E89B-12D3-A456-426614174000");

        Assert.Equal(
            KafkaPartitioner.PartitionForKey("123e4567-e89b-12d3-a456-426614174000"u8, int.MaxValue),
            Subject.PartitionFor(key, int.MaxValue));
    }

    [Fact]
    public void PartitionForString_UnpairedSurrogate_EncodesQuestionMarkLikeJava()
    {
        // Java: "a\uD800b".getBytes(UTF_8) == { 0x61, 0x3F, 0x62 }; .NET's Encoding.UTF8 would write EF BF BD.
        Assert.Equal(
            KafkaPartitioner.PartitionForKey(new byte[] { 0x61, 0x3F, 0x62 }, int.MaxValue),
            Subject.PartitionFor("a\uD800b", int.MaxValue));
    }
}
