using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Durability;
using Microsoft.Win32.SafeHandles;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="JournalStaging"/> against a sequential model (the bytes staged, in order): random sequences of buffer
/// reservations, pieces staged in place from pinned memory (where the staging gathers writes), frame ends, whole writes
/// and chunk writes, with a buffer small enough to be compacted and grown. After every write the file holds exactly
/// the model's bytes up to the written end, and the flushed offset is the last frame that ends inside it.
/// </summary>
public sealed class JournalStagingTests
{
    private const int Chunk = 256;

    [Property(MaxTest = 300)]
    public Property RandomStagingAndWrites_FileHoldsTheStagedBytesInOrder() =>
        Prop.ForAll(
            Gen.ListOf(OperationGen()).Select(l => l.ToArray()).ToArbitrary(),
            Arb.From(Gen.Choose(0, 1000)),
            (operations, seed) => Run(operations, seed));

    [Fact]
    public void InPlacePiecesBetweenBufferPieces_OneWrite_FileIsTheirConcatenation()
    {
        if (!JournalStaging.GathersWrites)
        {
            return;
        }

        // Headers in the buffer, events in place, three times: one gather write of six pieces (the events of the second
        // and third batch continue the first's memory, so they join it: four vectors).
        Operation[] operations =
        [
            new(Kind.Reserve, 40), new(Kind.InPlace, 1000), new(Kind.Frame, 0),
            new(Kind.Reserve, 40), new(Kind.InPlace, 3000), new(Kind.Frame, 0),
            new(Kind.Reserve, 40), new(Kind.InPlace, 17), new(Kind.Frame, 0),
            new(Kind.WriteWhole, 0),
        ];
        Assert.True(Run(operations, 1));
    }

    [Fact]
    public void ChunkWrite_StopsInsideAnInPlacePiece_TheRestIsWrittenNext()
    {
        if (!JournalStaging.GathersWrites)
        {
            return;
        }

        Operation[] operations =
        [
            new(Kind.Reserve, 10), new(Kind.InPlace, 700), new(Kind.Frame, 0),
            new(Kind.WriteChunks, 0), new(Kind.Reserve, 10), new(Kind.Frame, 0), new(Kind.WriteChunks, 0), new(Kind.WriteWhole, 0),
        ];
        Assert.True(Run(operations, 2));
    }

    private static Gen<Operation> OperationGen()
    {
        List<(int, Gen<Operation>)> choices =
        [
            (5, Gen.Choose(1, 300).Select(n => new Operation(Kind.Reserve, n))),
            (4, Gen.Constant(new Operation(Kind.Frame, 0))),
            (2, Gen.Constant(new Operation(Kind.WriteChunks, 0))),
            (1, Gen.Constant(new Operation(Kind.WriteWhole, 0))),
        ];
        if (JournalStaging.GathersWrites)
        {
            choices.Add((4, Gen.Choose(1, 2000).Select(n => new Operation(Kind.InPlace, n))));
        }

        return Gen.Frequency(choices.ToArray());
    }

    /// <summary>Runs <paramref name="operations"/> against a staging and the model; false (with the reason thrown) on a mismatch.</summary>
    private static bool Run(Operation[] operations, int seed)
    {
        var random = new Random(seed);
        string path = Path.Combine(Path.GetTempPath(), "hotpath-staging-" + Guid.NewGuid().ToString("N"));
        const long start = 64;
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            // A segment's file header before the staged bytes.
            RandomAccess.Write(file, new byte[start], 0);
            var staging = new JournalStaging(capacity: 128, position: start, chunkBytes: Chunk);
            var model = new List<byte>();
            var frames = new List<(long End, long OffsetEnd)>();
            long offset = 0;
            long lastFlushed = -1;
            // Pinned memory for in-place pieces: one array, filled anew only after what points into it was written.
            byte[] pinned = GC.AllocateArray<byte>(4096, pinned: true);
            nint address = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
            int pinnedUsed = 0;
            foreach (Operation operation in operations.Append(new Operation(Kind.WriteWhole, 0)))
            {
                switch (operation.Kind)
                {
                    case Kind.Reserve:
                        Span<byte> reserved = staging.Reserve(operation.Bytes);
                        if (reserved.IsEmpty)
                        {
                            // No room without writing first: what the journal does, then the reservation succeeds.
                            lastFlushed = Check(staging.Write(file, whole: true), staging, start, model, frames, lastFlushed, path);
                            reserved = staging.Reserve(operation.Bytes);
                            Assert.Equal(operation.Bytes, reserved.Length);
                        }

                        random.NextBytes(reserved);
                        model.AddRange(reserved.ToArray());
                        break;
                    case Kind.InPlace:
                        // Sometimes not right after the last piece: two pieces of the same memory that do not touch.
                        pinnedUsed += random.Next(2) == 0 ? 0 : random.Next(1, 17);
                        if (pinnedUsed + operation.Bytes > pinned.Length)
                        {
                            lastFlushed = Check(staging.Write(file, whole: true), staging, start, model, frames, lastFlushed, path);
                            pinnedUsed = 0;
                        }

                        Span<byte> piece = pinned.AsSpan(pinnedUsed, operation.Bytes);
                        random.NextBytes(piece);
                        model.AddRange(piece.ToArray());
                        staging.StageInPlace(address + pinnedUsed, operation.Bytes, pinned);
                        pinnedUsed += operation.Bytes;
                        break;
                    case Kind.Frame:
                        offset += 1 + random.Next(5);
                        staging.Staged(offset);
                        frames.Add((start + model.Count, offset));
                        break;
                    case Kind.WriteChunks:
                        long before = staging.WrittenEnd;
                        lastFlushed = Check(staging.Write(file, whole: false), staging, start, model, frames, lastFlushed, path);
                        Assert.True(staging.WrittenEnd == before || staging.WrittenEnd % Chunk == 0, $"a chunk write ended at {staging.WrittenEnd}, off the {Chunk}-byte boundaries");
                        break;
                    default:
                        lastFlushed = Check(staging.Write(file, whole: true), staging, start, model, frames, lastFlushed, path);
                        if (!staging.HasUnwritten)
                        {
                            pinnedUsed = 0;
                        }

                        break;
                }
            }

            Assert.False(staging.HasUnwritten);
            Assert.Equal(start + model.Count, staging.End);
            return true;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Checks a write's outcome against the model; returns the flushed offset so far.</summary>
    private static long Check(long flushed, JournalStaging staging, long start, List<byte> model, List<(long End, long OffsetEnd)> frames, long lastFlushed, string path)
    {
        long written = staging.WrittenEnd;
        Assert.InRange(written, start, start + model.Count);
        using (var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            Assert.Equal(written, read.Length);
            byte[] content = new byte[written - start];
            read.Position = start;
            read.ReadExactly(content);
            Assert.True(content.AsSpan().SequenceEqual(model.GetRange(0, content.Length).ToArray()), $"the file's bytes [{start}, {written}) differ from what was staged");
        }

        // The last frame that ends inside what is written, if it was not reported before.
        long expected = frames.Where(f => f.End <= written).Select(f => f.OffsetEnd).DefaultIfEmpty(-1).Max();
        Assert.Equal(expected > lastFlushed ? expected : -1, flushed);
        return Math.Max(lastFlushed, expected);
    }

    internal enum Kind
    {
        Reserve,
        InPlace,
        Frame,
        WriteChunks,
        WriteWhole,
    }

    internal readonly record struct Operation(Kind Kind, int Bytes)
    {
        public override string ToString() => Bytes == 0 ? Kind.ToString() : $"{Kind} {Bytes}";
    }
}
