using System.Text;
using FsCheck.Xunit;
using HotPath.Partitioning;

namespace HotPath.Tests.Partitioning;

/// <summary>The contract every <see cref="Partitioner"/> meets; one derived class per implementation.</summary>
public abstract class PartitionerContractTests
{
    private const int RandomKeyCount = 20_000;

    protected abstract Partitioner Subject { get; }

    protected abstract string ExpectedName { get; }

    // The bytes the implementation documents for each typed key, spelled out independently in each derived class.
    protected abstract byte[] ExpectedInt32Bytes(int key);

    protected abstract byte[] ExpectedInt64Bytes(long key);

    protected abstract byte[] ExpectedGuidBytes(Guid key);

    protected abstract byte[] ExpectedStringBytes(string key);

    // With int.MaxValue partitions both built-in reductions keep 31 bits of the hash, so equal partitions below
    // mean equal hashes, and in practice equal bytes, not a lucky collision.
    private const int WidePartitionCount = int.MaxValue;

    [Fact]
    public void Name_Always_IsDocumentedName() => Assert.Equal(ExpectedName, Subject.Name);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void PartitionForInt32_AnyKey_EqualsSpanOfDocumentedEncoding(int key)
    {
        Assert.Equal(
            Subject.PartitionFor(ExpectedInt32Bytes(key), WidePartitionCount),
            Subject.PartitionFor(key, WidePartitionCount));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(42L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(0x0102030405060708L)]
    public void PartitionForInt64_AnyKey_EqualsSpanOfDocumentedEncoding(long key)
    {
        Assert.Equal(
            Subject.PartitionFor(ExpectedInt64Bytes(key), WidePartitionCount),
            Subject.PartitionFor(key, WidePartitionCount));
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("123e4567-e89b-12d3-a456-426614174000")]
    [InlineData("FFFFFFFF-ABCD-EF01-2345-6789ABCDEF01")]
    public void PartitionForGuid_AnyKey_EqualsSpanOfDocumentedEncoding(string text)
    {
        var key = Guid.Parse(text);

        Assert.Equal(
            Subject.PartitionFor(ExpectedGuidBytes(key), WidePartitionCount),
            Subject.PartitionFor(key, WidePartitionCount));
    }

    [Theory]
    [InlineData("")]
    [InlineData("foobar")]
    [InlineData("z\u00fcrich \u65e5\u672c \U0001F600")]
    public void PartitionForString_AnyKey_EqualsSpanOfDocumentedEncoding(string key)
    {
        Assert.Equal(
            Subject.PartitionFor(ExpectedStringBytes(key), WidePartitionCount),
            Subject.PartitionFor(key, WidePartitionCount));
    }

    [Theory]
    [InlineData(85)]
    [InlineData(86)]
    [InlineData(300)]
    [InlineData(10_000)]
    public void PartitionForString_LongerThanStackBuffer_EqualsSpanOfEncoding(int length)
    {
        // 86+ chars may exceed the 256-byte stack buffer in the worst case, so they take the pooled path.
        string key = string.Create(length, 0, static (chars, _) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = i % 7 == 0 ? '\u00e9' : (char)('a' + (i % 26));
            }
        });

        Assert.Equal(
            Subject.PartitionFor(ExpectedStringBytes(key), WidePartitionCount),
            Subject.PartitionFor(key, WidePartitionCount));
    }

    [Theory]
    [InlineData(1, -1)]
    [InlineData(4, -1)]
    [InlineData(7, -1)]
    [InlineData(8, -1)]
    [InlineData(9, 4)]
    [InlineData(15, -1)]
    [InlineData(15, 7)]
    [InlineData(16, -1)]
    [InlineData(16, 15)]
    [InlineData(17, -1)]
    [InlineData(24, 12)]
    [InlineData(31, -1)]
    [InlineData(32, -1)]
    [InlineData(32, 0)]
    [InlineData(32, 20)]
    [InlineData(33, -1)]
    [InlineData(255, -1)]
    [InlineData(256, -1)]
    [InlineData(256, 255)]
    [InlineData(257, -1)]
    public void PartitionForString_AsciiKeysOfEveryShape_EqualSpanOfEncoding(int length, int nonAsciiAt)
    {
        // ASCII keys up to 256 chars are narrowed directly (8 to 32 chars as two overlapping halves); one non-ASCII char
        // (nonAsciiAt, or none for -1) sends the key through the encoder. Both must give the documented bytes' partition.
        var random = new Random(length * 1000 + nonAsciiAt);
        for (int k = 0; k < 200; k++)
        {
            char[] chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                chars[i] = (char)random.Next(0, 128);
            }

            if (nonAsciiAt >= 0)
            {
                chars[nonAsciiAt] = (char)random.Next(0x80, 0x800);
            }

            string key = new(chars);
            Assert.Equal(
                Subject.PartitionFor(ExpectedStringBytes(key), WidePartitionCount),
                Subject.PartitionFor(key, WidePartitionCount));
        }
    }

    [Fact]
    public void PartitionForString_NullKey_ThrowsArgumentNull()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => Subject.PartitionFor((string)null!, 4));

        Assert.Equal("key", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void PartitionFor_PartitionCountBelowOne_ThrowsForEveryOverload(int partitionCount)
    {
        string expected = $"partitionCount must be at least 1, was {partitionCount} (Parameter 'partitionCount')";
        Action[] calls =
        [
            () => Subject.PartitionFor("k"u8, partitionCount),
            () => Subject.PartitionFor("k", partitionCount),
            () => Subject.PartitionFor(new string('k', 1000), partitionCount),
            () => Subject.PartitionFor(7, partitionCount),
            () => Subject.PartitionFor(7L, partitionCount),
            () => Subject.PartitionFor(Guid.Empty, partitionCount),
        ];

        foreach (Action call in calls)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal("partitionCount", ex.ParamName);
            Assert.Equal(partitionCount, ex.ActualValue);
            Assert.StartsWith(expected, ex.Message);
        }
    }

    [Fact]
    public void PartitionFor_OnePartition_AlwaysZero()
    {
        Assert.Equal(0, Subject.PartitionFor("anything"u8, 1));
        Assert.Equal(0, Subject.PartitionFor(ReadOnlySpan<byte>.Empty, 1));
        Assert.Equal(0, Subject.PartitionFor("anything", 1));
        Assert.Equal(0, Subject.PartitionFor(long.MaxValue, 1));
    }

    [Fact]
    public void PartitionFor_WarmedUpHotLoop_AllocatesNothing()
    {
        Partitioner partitioner = Subject;
        string shortKey = "order-12345";
        string longKey = new('x', 1_000);
        byte[] spanKey = Encoding.UTF8.GetBytes("customer-42");
        var guidKey = Guid.Parse("123e4567-e89b-12d3-a456-426614174000");

        int sink = RunAll(partitioner, shortKey, longKey, spanKey, guidKey, 1_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        sink += RunAll(partitioner, shortKey, longKey, spanKey, guidKey, 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sink >= 0);
    }

    [Property(MaxTest = 300)]
    public bool PartitionFor_SameKeyAnyPartitionCount_IsStableAndInRange(byte[]? key, int raw)
    {
        key ??= [];
        int partitionCount = 1 + (int)((uint)raw % 1000);
        byte[] copy = (byte[])key.Clone();

        int first = Subject.PartitionFor(key, partitionCount);
        int second = Subject.PartitionFor(copy, partitionCount);

        return first == second && first >= 0 && first < partitionCount;
    }

    [Property(MaxTest = 300)]
    public bool PartitionForTypedKeys_SameKeyAnyPartitionCount_IsStableAndInRange(
        string? text, long number, Guid guid, int raw)
    {
        text ??= string.Empty;
        int partitionCount = 1 + (int)((uint)raw % 1000);
        int[] first =
        [
            Subject.PartitionFor(text, partitionCount),
            Subject.PartitionFor(new string(text.AsSpan()), partitionCount),
            Subject.PartitionFor(number, partitionCount),
            Subject.PartitionFor((int)number, partitionCount),
            Subject.PartitionFor(guid, partitionCount),
        ];
        int[] second =
        [
            Subject.PartitionFor(text, partitionCount),
            Subject.PartitionFor(text, partitionCount),
            Subject.PartitionFor(number, partitionCount),
            Subject.PartitionFor((int)number, partitionCount),
            Subject.PartitionFor(new Guid(guid.ToString()), partitionCount),
        ];

        return first.SequenceEqual(second) && first.All(p => p >= 0 && p < partitionCount);
    }

    // Balance bound. With a uniform hash, the load X of one partition out of n is Binomial(N, 1/n), mean
    // mu = N/n. We require |X - mu| < 8 * sqrt(mu) for every partition. Chernoff: P(X >= (1 + d) mu) <=
    // exp(-d^2 mu / (2 + d)) and P(X <= (1 - d) mu) <= exp(-d^2 mu / 2) with d = 8 / sqrt(mu). The worst case is
    // n = 64 (mu = 312.5, d = 0.45): upper tail <= 4.6e-12 and lower tail <= 1.3e-14 per partition; over the
    // 2,079 partitions of n = 2..64 a sound partitioner fails one run with probability below 1e-8. The bound is
    // still tight: at n = 64 it allows 171..453 keys per partition, below 1.5x the mean, and it implies every
    // partition gets a key. Keys are 8..32 random bytes, so duplicate keys are vanishingly rare.
    [Property(MaxTest = 3)]
    public bool PartitionFor_TwentyThousandRandomKeys_EveryPartitionUsedWithinBound(int seed)
    {
        var random = new Random(seed);
        var keys = new byte[RandomKeyCount][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = new byte[random.Next(8, 33)];
            random.NextBytes(keys[i]);
        }

        for (int partitionCount = 2; partitionCount <= 64; partitionCount++)
        {
            var counts = new int[partitionCount];
            foreach (byte[] key in keys)
            {
                counts[Subject.PartitionFor(key, partitionCount)]++;
            }

            double mean = (double)RandomKeyCount / partitionCount;
            double slack = 8 * Math.Sqrt(mean);
            if (counts.Min() <= mean - slack || counts.Max() >= mean + slack)
            {
                return false;
            }
        }

        return true;
    }

    private static int RunAll(
        Partitioner partitioner, string shortKey, string longKey, byte[] spanKey, Guid guidKey, int iterations)
    {
        int sink = 0;
        for (int i = 0; i < iterations; i++)
        {
            sink += partitioner.PartitionFor(shortKey, 16);
            sink += partitioner.PartitionFor(longKey, 16);
            sink += partitioner.PartitionFor(spanKey.AsSpan(), 16);
            sink += partitioner.PartitionFor(i, 16);
            sink += partitioner.PartitionFor((long)i, 16);
            sink += partitioner.PartitionFor(guidKey, 16);
            sink += KafkaPartitioner.PartitionForKey(spanKey, 16);
        }

        return sink;
    }
}
