using System.IO.Hashing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="FrameChecksum"/> is System.IO.Hashing's CRC-32 for every input: every length around the fold's steps, and
/// random contents, lengths and alignments. On a machine without 512-bit carry-less multiplies both sides are the
/// library's and the tests say nothing about the fold (the journal harness reports which path ran).
/// </summary>
public sealed class FrameChecksumTests
{
    [Fact]
    public void Compute_EveryLengthUpTo2100_EqualsCrc32()
    {
        var random = new Random(12345);
        byte[] data = new byte[2100];
        random.NextBytes(data);
        for (int length = 0; length <= data.Length; length++)
        {
            ReadOnlySpan<byte> span = data.AsSpan(0, length);
            Assert.True(Crc32.HashToUInt32(span) == FrameChecksum.Compute(span), $"length {length}");
        }
    }

    [Fact]
    public void Compute_OneBitFlippedAnywhereInA64KiBBatch_ChangesTheChecksum()
    {
        byte[] data = new byte[65_568];
        new Random(7).NextBytes(data);
        uint whole = FrameChecksum.Compute(data);
        Assert.Equal(Crc32.HashToUInt32(data), whole);
        for (int position = 0; position < data.Length; position += 97)
        {
            data[position] ^= 0x10;
            Assert.NotEqual(whole, FrameChecksum.Compute(data));
            data[position] ^= 0x10;
        }
    }

    [Property(MaxTest = 500)]
    public Property Compute_RandomBytesLengthsAndOffsets_EqualsCrc32() =>
        Prop.ForAll(
            (from length in Gen.Choose(0, 70_000)
             from offset in Gen.Choose(0, 63)
             from seed in Gen.Choose(0, int.MaxValue)
             select (Length: length, Offset: offset, Seed: seed)).ToArbitrary(),
            input =>
            {
                (int length, int offset, int seed) = input;
                byte[] data = new byte[length + offset];
                new Random(seed).NextBytes(data);
                ReadOnlySpan<byte> span = data.AsSpan(offset, length);
                return Crc32.HashToUInt32(span) == FrameChecksum.Compute(span);
            });
}
