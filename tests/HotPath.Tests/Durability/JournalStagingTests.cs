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

    /// <summary>
    /// More pieces and frames than the queues start with (16 each) and than one <c>pwritev</c> takes (1,024 buffers), all
    /// written by one whole write: the queues grow keeping their order, and the write goes out in several calls.
    /// </summary>
    [Fact]
    public void ThousandsOfPiecesBeforeOneWrite_QueuesGrowAndTheWriteSpansSeveralCalls_FileIsTheirConcatenation()
    {
        const int Frames = 700;
        const long Start = 64;
        string path = Path.Combine(Path.GetTempPath(), "hotpath-staging-" + Guid.NewGuid().ToString("N"));
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            RandomAccess.Write(file, new byte[Start], 0);
            var staging = new JournalStaging(capacity: Frames * 8, position: Start, chunkBytes: Chunk);
            var random = new Random(5);
            var expected = new List<byte>();
            // In place where the staging gathers writes: 24 bytes every 32 of a pinned array, so that no two pieces join.
            byte[] pinned = GC.AllocateArray<byte>(Frames * 32, pinned: true);
            random.NextBytes(pinned);
            nint address = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
            for (int frame = 0; frame < Frames; frame++)
            {
                Span<byte> header = staging.Reserve(8);
                Assert.Equal(8, header.Length);
                random.NextBytes(header);
                expected.AddRange(header.ToArray());
                if (JournalStaging.GathersWrites)
                {
                    staging.StageInPlace(address + (frame * 32), 24, pinned);
                    expected.AddRange(pinned.AsSpan(frame * 32, 24).ToArray());
                }

                staging.Staged(frame + 1);
            }

            // A chunk write first: it completes the frames up to the last 256-byte boundary, which lies far past the
            // first 16 (the frame queue grew while they were pending; a growth that lost them reports the wrong offset).
            long boundary = (Start + expected.Count) & ~(long)(Chunk - 1);
            Assert.Equal(JournalStaging.GathersWrites ? (boundary - Start) / 32 : (boundary - Start) / 8, staging.Write(file, whole: false));
            Assert.Equal(Frames, staging.Write(file, whole: true));
            Assert.Equal(Start + expected.Count, staging.WrittenEnd);
            byte[] content = new byte[expected.Count];
            RandomAccess.Read(file, content, Start);
            Assert.True(content.AsSpan().SequenceEqual(expected.ToArray()), "the file's bytes differ from what was staged");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The frame queue grows at the 17th pending frame; a chunk write ending inside the first 16 still reports the last one it completed.</summary>
    [Fact]
    public void SeventeenPendingFrames_ChunkWriteEndsInsideTheFirstSixteen_ReportsTheLastFrameItCompleted()
    {
        Operation[] operations = [.. Enumerable.Range(0, 17).SelectMany(_ => new[] { new Operation(Kind.Reserve, 32), new Operation(Kind.Frame, 0) }), new(Kind.WriteChunks, 0)];
        Assert.True(Run(operations, 3, chunkBytes: 512, capacity: 1024));
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
    /// <param name="capacity">The staging buffer's bytes: by default small enough to be compacted and grown.</param>
    private static bool Run(Operation[] operations, int seed, int chunkBytes = Chunk, int capacity = 128)
    {
        var random = new Random(seed);
        string path = Path.Combine(Path.GetTempPath(), "hotpath-staging-" + Guid.NewGuid().ToString("N"));
        const long start = 64;
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            // A segment's file header before the staged bytes.
            RandomAccess.Write(file, new byte[start], 0);
            var staging = new JournalStaging(capacity, position: start, chunkBytes: chunkBytes);
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
                        Assert.True(staging.WrittenEnd == before || staging.WrittenEnd % chunkBytes == 0, $"a chunk write ended at {staging.WrittenEnd}, off the {chunkBytes}-byte boundaries");
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
