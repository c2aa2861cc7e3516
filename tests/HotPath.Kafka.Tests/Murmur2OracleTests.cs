using System.Text;

namespace HotPath.Kafka.Tests;

public sealed class Murmur2OracleTests
{
    // Vectors from Apache Kafka's UtilsTest.testMurmur2.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_KafkaReferenceVectors_MatchJavaClient(string input, int expected)
    {
        Assert.Equal(expected, Murmur2Oracle.Hash(Encoding.UTF8.GetBytes(input)));
    }
}
