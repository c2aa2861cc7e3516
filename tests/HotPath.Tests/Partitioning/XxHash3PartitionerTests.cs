using System.IO.Hashing;
using System.Text;
using HotPath.Partitioning;

namespace HotPath.Tests.Partitioning;

public class XxHash3PartitionerTests : PartitionerContractTests
{
    protected override Partitioner Subject => Partitioner.XxHash3;

    protected override string ExpectedName => "XxHash3";

    protected override byte[] ExpectedInt32Bytes(int key) =>
        [(byte)key, (byte)(key >> 8), (byte)(key >> 16), (byte)(key >> 24)];

    protected override byte[] ExpectedInt64Bytes(long key)
    {
        var bytes = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(key >> (8 * i));
        }

        return bytes;
    }

    protected override byte[] ExpectedGuidBytes(Guid key) => key.ToByteArray();

    protected override byte[] ExpectedStringBytes(string key) => Encoding.UTF8.GetBytes(key);

    [Fact]
    public void PartitionForInt32_FortyTwo_HashesLittleEndianBytes()
    {
        Assert.Equal(
            Subject.PartitionFor(new byte[] { 0x2A, 0x00, 0x00, 0x00 }, 1000),
            Subject.PartitionFor(42, 1000));
    }

    [Theory]
    [InlineData("foobar", 7)]
    [InlineData("", 12)]
    [InlineData("order-12345", 1000)]
    public void PartitionFor_Key_IsLemireReductionOfUpperHashBits(string key, int partitionCount)
    {
        ulong hash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key));
        int expected = (int)((hash >> 32) * (ulong)partitionCount >> 32);

        Assert.Equal(expected, Subject.PartitionFor(Encoding.UTF8.GetBytes(key), partitionCount));
        Assert.Equal(expected, Subject.PartitionFor(key, partitionCount));
    }
}
