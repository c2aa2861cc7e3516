using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// The frames of the active segment staged by the appender before they are written: the file's next bytes as a queue of
/// pieces, each either bytes of one reused buffer (frame headers, and on platforms without gather writes whole frames) or
/// bytes of pinned memory that another owner keeps unchanged until they are written (a batch's events in the partition's
/// ring); the part already written; and the end of each frame not yet written whole, so that a write that stops at a
/// chunk boundary (<see cref="Write"/> with <c>whole: false</c>) reports as flushed only the frames it wrote whole.
/// </summary>
/// <remarks>
/// <para>Why pieces: copying a batch's events out of the ring into the buffer cost the journaller a pass over every byte
/// (a throw-away build without the copy journaled 18% more per second); on Linux the pieces go to the kernel in one
/// <c>pwritev</c> (<see cref="GathersWrites"/>), which copies them into the page cache from where they are. Elsewhere
/// every piece is buffer bytes, written with <see cref="RandomAccess"/> (whose gather write allocates per call).</para>
/// <para>Why chunks: on Linux the page cache takes whole, aligned writes in large folios, which made 64 KiB writes at
/// 64 KiB-aligned positions about 1.45 times as fast as the same writes 64 bytes off (ext4 on this project's benchmark
/// machine); a journal batch of 1,024 events of 64 bytes is 65,568 bytes, so its writes drift off the boundaries. An
/// appender that is behind writes the whole chunks of what it staged and keeps the rest (less than a chunk) for its next
/// round, a few microseconds later; an appender that caught up writes everything (<c>whole: true</c>).</para>
/// <para>Memory: the buffer is allocated pinned (its address goes into the gather writes); a piece of other memory is
/// staged with the object that owns it, which the staging references until the piece is written, and the owner must not
/// change those bytes meanwhile (the journaller's ring slots stay gated until the journal's flushed end passes them).
/// Allocates nothing in steady state: the written prefix of the buffer is dropped (the rest moved to the front) only when
/// the buffer is full; the piece and frame queues grow only past their largest backlog. Thread-safety: the appender
/// only.</para>
/// </remarks>
internal sealed class JournalStaging
{
    /// <summary>The default alignment of the writes of <see cref="Write"/> with <c>whole: false</c>: 64 KiB.</summary>
    public const int DefaultChunkBytes = 64 * 1024;

    /// <summary><c>EINTR</c>.</summary>
    private const int Interrupted = 4;

    private readonly long _chunkMask;

    private byte[] _buffer;
    private nint _bufferAddress;
    private int _length;
    private long _end;
    private long _writtenEnd;

    /// <summary>Staged pieces not yet written, in file order. A ring.</summary>
    private Piece[] _pieces = new Piece[16];
    private int _pieceHead;
    private int _pieceCount;

    /// <summary>What staged pieces of other memory point into: kept alive (and so in place) until they are written.</summary>
    private object? _owner;

    /// <summary>Staged frames not yet written whole: file position after the frame, offset after the frame. A ring.</summary>
    private (long End, long OffsetEnd)[] _frames = new (long, long)[16];
    private int _frameHead;
    private int _frameCount;

    private LinuxFileInterop.IoVector[]? _vectors;

    /// <param name="capacity">The buffer's bytes (it grows for a larger frame).</param>
    /// <param name="position">The file position of the first byte to stage.</param>
    /// <param name="chunkBytes">The alignment of chunk writes: a power of two.</param>
    public JournalStaging(int capacity, long position, int chunkBytes = DefaultChunkBytes)
    {
        Debug.Assert(chunkBytes > 0 && (chunkBytes & (chunkBytes - 1)) == 0, "a power of two");
        _buffer = NewBuffer(capacity, out _bufferAddress);
        _end = _writtenEnd = position;
        _chunkMask = ~(long)(chunkBytes - 1);
    }

    /// <summary>
    /// True where <see cref="StageInPlace"/> may be called: the staging writes pieces of other memory where they are, with
    /// one gather write (64-bit Linux: the <c>pwritev</c> binding passes a 64-bit file offset, which a 32-bit glibc's
    /// <c>pwritev</c> does not take).
    /// </summary>
    public static bool GathersWrites => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>The file position after the last staged byte.</summary>
    public long End => _end;

    /// <summary>The file position after the last written byte.</summary>
    public long WrittenEnd => _writtenEnd;

    /// <summary>The bytes staged in place so far (<see cref="StageInPlace"/>): reported by tests and the journal harness.</summary>
    public long InPlaceBytes { get; private set; }

    /// <summary>True when staged bytes are not written yet.</summary>
    public bool HasUnwritten => _writtenEnd < _end;

    /// <summary>Starts over at <paramref name="position"/> of a new file; everything staged must have been written.</summary>
    public void Reset(long position)
    {
        Debug.Assert(!HasUnwritten, "everything staged was written before the staging moves to another file");
        _end = _writtenEnd = position;
        _length = 0;
        _pieceHead = _pieceCount = 0;
        _frameHead = _frameCount = 0;
        _owner = null;
    }

    /// <summary>
    /// The buffer bytes for the next <paramref name="bytes"/> bytes of the file (at <see cref="End"/>), or an empty span
    /// when the buffer has no room without writing first (the caller writes everything, then asks again: it then gets
    /// room, the buffer growing for a frame larger than it).
    /// </summary>
    public Span<byte> Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            DropWrittenPrefix();
            if (_length + bytes > _buffer.Length)
            {
                if (_length > 0)
                {
                    return [];
                }

                // No unwritten piece is in the buffer (only pieces of other memory, if any): it may be replaced.
                _buffer = NewBuffer(bytes, out _bufferAddress);
            }
        }

        Append(new Piece(_length, 0, bytes));
        Span<byte> reserved = _buffer.AsSpan(_length, bytes);
        _length += bytes;
        _end += bytes;
        return reserved;
    }

    /// <summary>
    /// Stages the <paramref name="length"/> bytes at <paramref name="address"/> as the file's next bytes, in place: pinned
    /// memory of <paramref name="owner"/>, which must keep them unchanged until they are written (<see cref="WrittenEnd"/>
    /// passes them). Only where <see cref="GathersWrites"/>.
    /// </summary>
    public void StageInPlace(nint address, int length, object owner)
    {
        Debug.Assert(GathersWrites, "in-place pieces need a gather write");
        Debug.Assert(address != 0 && length > 0, "a piece of memory");
        Append(new Piece(-1, address, length));
        _owner = owner;
        InPlaceBytes += length;
        _end += length;
    }

    /// <summary>Records that the frame staged last, now filled, ends the offsets before <paramref name="offsetEnd"/>.</summary>
    public void Staged(long offsetEnd)
    {
        if (_frameCount == _frames.Length)
        {
            var larger = new (long, long)[_frames.Length * 2];
            for (int i = 0; i < _frameCount; i++)
            {
                larger[i] = _frames[(_frameHead + i) % _frames.Length];
            }

            _frames = larger;
            _frameHead = 0;
        }

        _frames[(_frameHead + _frameCount) % _frames.Length] = (_end, offsetEnd);
        _frameCount++;
    }

    /// <summary>
    /// Writes to <paramref name="file"/> what is staged and not written: everything, or without <paramref name="whole"/>
    /// only up to the last chunk boundary of the file. Returns the offset after the last frame now
    /// written whole, or -1 when no frame was completed by this write.
    /// </summary>
    /// <exception cref="IOException">The operating system refused the write (the caller names the file).</exception>
    public long Write(SafeFileHandle file, bool whole)
    {
        long target = whole ? _end : Math.Max(_writtenEnd, _end & _chunkMask);
        while (_writtenEnd < target)
        {
            Consume(GathersWrites ? WriteGathered(file, target) : WriteBuffered(file, target));
        }

        long flushed = -1;
        while (_frameCount > 0 && _frames[_frameHead].End <= target)
        {
            flushed = _frames[_frameHead].OffsetEnd;
            _frameHead = (_frameHead + 1) % _frames.Length;
            _frameCount--;
        }

        return flushed;
    }

    private static byte[] NewBuffer(int bytes, out nint address)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        return buffer;
    }

    /// <summary>Writes up to <paramref name="target"/> with one <c>pwritev</c> of the pieces (in place); returns the bytes written.</summary>
    private long WriteGathered(SafeFileHandle file, long target)
    {
        LinuxFileInterop.IoVector[] vectors = _vectors ??= new LinuxFileInterop.IoVector[LinuxFileInterop.MaxBuffers];
        long want = target - _writtenEnd;
        long asked = 0;
        int count = 0;
        for (int i = 0; i < _pieceCount && count < vectors.Length && asked < want; i++)
        {
            Piece piece = _pieces[(_pieceHead + i) % _pieces.Length];
            long take = Math.Min(piece.Length, want - asked);
            vectors[count++] = new LinuxFileInterop.IoVector { Base = AddressOf(piece), Length = (nint)take };
            asked += take;
        }

        while (true)
        {
            nint written = LinuxFileInterop.WriteGather(file, vectors, count, _writtenEnd);
            if (written > 0)
            {
                return written;
            }

            int errno = written == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                throw GatherWriteFailed(errno, asked);
            }

            // A signal arrived before anything was written (EINTR): write again, as .NET's own pwrite/pwritev calls do.
        }
    }

    /// <summary>Writes up to <paramref name="target"/> from the buffer, where every piece is (no gather writes); returns the bytes written.</summary>
    private long WriteBuffered(SafeFileHandle file, long target)
    {
        // Buffer pieces are appended at the buffer's end and kept in order when its written prefix is dropped: the
        // unwritten ones are one run of it, starting at the first one's.
        Piece first = _pieces[_pieceHead];
        Debug.Assert(first.Offset >= 0 && first.Offset + (_end - _writtenEnd) == _length, "every unwritten byte is in the buffer, in one run");
        int bytes = (int)(target - _writtenEnd);
        RandomAccess.Write(file, _buffer.AsSpan(first.Offset, bytes), _writtenEnd);
        return bytes;
    }

    /// <summary>The file's next <paramref name="bytes"/> bytes were written: the pieces they came from leave the queue.</summary>
    private void Consume(long bytes)
    {
        _writtenEnd += bytes;
        while (bytes > 0)
        {
            ref Piece piece = ref _pieces[_pieceHead];
            if (piece.Length > bytes)
            {
                // Written in part (a chunk boundary or a short write): the rest stays first in the queue.
                piece = piece.Offset >= 0
                    ? new Piece(piece.Offset + (int)bytes, 0, piece.Length - (int)bytes)
                    : new Piece(-1, piece.Address + (nint)bytes, piece.Length - (int)bytes);
                return;
            }

            bytes -= piece.Length;
            _pieceHead = (_pieceHead + 1) % _pieces.Length;
            _pieceCount--;
        }

        if (_pieceCount == 0)
        {
            // Everything written: the buffer starts over, and the memory of in-place pieces is let go.
            _length = 0;
            _owner = null;
        }
    }

    /// <summary>Moves the buffer's unwritten bytes to its front (overlapping copies are memmoves) and the pieces with them.</summary>
    private void DropWrittenPrefix()
    {
        int from = _length;
        for (int i = 0; i < _pieceCount; i++)
        {
            Piece piece = _pieces[(_pieceHead + i) % _pieces.Length];
            if (piece.Offset >= 0)
            {
                from = piece.Offset;
                break;
            }
        }

        if (from == 0)
        {
            return;
        }

        _buffer.AsSpan(from, _length - from).CopyTo(_buffer);
        _length -= from;
        for (int i = 0; i < _pieceCount; i++)
        {
            ref Piece piece = ref _pieces[(_pieceHead + i) % _pieces.Length];
            if (piece.Offset >= 0)
            {
                piece = new Piece(piece.Offset - from, 0, piece.Length);
            }
        }
    }

    /// <summary>Queues <paramref name="piece"/>, joined to the last one when it continues it in the same memory.</summary>
    private void Append(Piece piece)
    {
        if (_pieceCount > 0)
        {
            ref Piece last = ref _pieces[(_pieceHead + _pieceCount - 1) % _pieces.Length];
            bool continues = piece.Offset >= 0
                ? last.Offset >= 0 && last.Offset + last.Length == piece.Offset
                : last.Offset < 0 && last.Address + last.Length == piece.Address;
            if (continues && (long)last.Length + piece.Length <= int.MaxValue)
            {
                last = new Piece(last.Offset, last.Address, last.Length + piece.Length);
                return;
            }
        }

        if (_pieceCount == _pieces.Length)
        {
            var larger = new Piece[_pieces.Length * 2];
            for (int i = 0; i < _pieceCount; i++)
            {
                larger[i] = _pieces[(_pieceHead + i) % _pieces.Length];
            }

            _pieces = larger;
            _pieceHead = 0;
        }

        _pieces[(_pieceHead + _pieceCount) % _pieces.Length] = piece;
        _pieceCount++;
    }

    private nint AddressOf(Piece piece) => piece.Offset >= 0 ? _bufferAddress + piece.Offset : piece.Address;

    /// <summary>A refused gather write as <see cref="RandomAccess"/> reports one (an <see cref="IOException"/>; EFBIG described as .NET's callers expect).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IOException GatherWriteFailed(int errno, long asked)
    {
        const int FileTooLarge = 27;
        string reason = errno switch
        {
            0 => $"the operating system wrote none of {asked} bytes",
            FileTooLarge => "the write would take the file past the file size limit (RLIMIT_FSIZE, ulimit -f) or the file system's largest file (EFBIG)",
            _ => Marshal.GetPInvokeErrorMessage(errno),
        };
        return new IOException(reason);
    }

    /// <summary>
    /// A staged piece: <see cref="Length"/> bytes of the buffer at <see cref="Offset"/>, or, with an offset of -1, of
    /// other pinned memory at <see cref="Address"/>.
    /// </summary>
    private readonly record struct Piece(int Offset, nint Address, int Length);
}
