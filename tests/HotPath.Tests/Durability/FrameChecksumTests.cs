using System.IO.Hashing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="FrameChecksum"/> is System.IO.Hashing's CRC-32 for every input: every length around the folds' steps, and
/// random contents, lengths and alignments, through <see cref="FrameChecksum.Compute"/> and through each fold this
/// machine can run directly (the 512-bit one needs AVX-512 with VPCLMULQDQ, the 256-bit one AVX2 with VPCLMULQDQ: a
/// machine without them tests only what it would run; the journal harness reports which path ran), also for a message in
/// two pieces (a batch header, then events elsewhere in memory).
/// </summary>
public sealed class FrameChecksumTests
{
    private delegate uint Checksum(ReadOnlySpan<byte> data);

    [Fact]
    public void Compute_EveryLengthUpTo2100_EqualsCrc32()
    {
        var random = new Random(12345);
        byte[] data = new byte[2100];
        random.NextBytes(data);
        foreach ((string name, Checksum checksum, int minLength) in Paths())
        {
            for (int length = minLength; length <= data.Length; length++)
            {
                ReadOnlySpan<byte> span = data.AsSpan(0, length);
                Assert.True(Crc32.HashToUInt32(span) == checksum(span), $"{name}, length {length}");
            }
        }
    }

    [Fact]
    public void Folds_A64KiBBatchAtEveryAlignment_EqualCrc32()
    {
        byte[] data = new byte[65_568 + 64];
        new Random(99).NextBytes(data);
        foreach ((string name, Checksum checksum, _) in Paths())
        {
            for (int offset = 0; offset < 64; offset++)
            {
                ReadOnlySpan<byte> span = data.AsSpan(offset, 65_568);
                Assert.True(Crc32.HashToUInt32(span) == checksum(span), $"{name}, offset {offset}");
            }
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
                uint expected = Crc32.HashToUInt32(span);
                foreach ((_, Checksum checksum, int minLength) in Paths())
                {
                    if (length >= minLength && checksum(span) != expected)
                    {
                        return false;
                    }
                }

                return true;
            });

    private delegate uint Fold(ReadOnlySpan<byte> data, uint initialRegister);

    /// <summary>The fold of the bytes after <paramref name="head"/> bytes, from the register those leave.</summary>
    private static uint FoldAfterHead(ReadOnlySpan<byte> data, int head, Fold fold) => fold(data[head..], ~Crc32.HashToUInt32(data[..head]));

    /// <summary>Compute (whole, and in two pieces), and each fold this machine supports, with the shortest input it takes.</summary>
    private static List<(string Name, Checksum Checksum, int MinLength)> Paths()
    {
        var scratch = new Crc32();
        List<(string, Checksum, int)> paths = [("Compute", FrameChecksum.Compute, 0)];
        // A message in two pieces (a journal batch's header staged, its events in the ring): every split that a batch
        // header makes (0 for a body alone, 1, 24 and 32 bytes).
        foreach (int split in new[] { 0, 1, 24, 32 })
        {
            paths.Add(($"Compute(head of {split}, body)", d => FrameChecksum.Compute(d[..Math.Min(split, d.Length)], d[Math.Min(split, d.Length)..], scratch), 0));
        }

        if (FrameChecksum.IsFolded512)
        {
            paths.Add(("Fold512", d => FrameChecksum.Fold512(d), FrameChecksum.MinFold512Length));
            paths.Add(("Fold512 after a head of 24", d => FoldAfterHead(d, 24, FrameChecksum.Fold512), 24 + FrameChecksum.MinFold512Length));
        }

        if (FrameChecksum.IsFolded256)
        {
            paths.Add(("Fold256", d => FrameChecksum.Fold256(d), FrameChecksum.MinFold256Length));
            paths.Add(("Fold256 after a head of 24", d => FoldAfterHead(d, 24, FrameChecksum.Fold256), 24 + FrameChecksum.MinFold256Length));
        }

        return paths;
    }
}
