using Microsoft.Win32.SafeHandles;

namespace HotPath.Durability;

/// <summary>
/// The frames of the active segment staged by the appender before they are written: one reused buffer holding the file's
/// bytes from some position, the part of it already written, and the end of each frame not yet written whole,
/// so that a write that stops at a chunk boundary (<see cref="Write"/> with <c>whole: false</c>) reports as flushed only
/// the frames it wrote whole.
/// </summary>
/// <remarks>
/// <para>Why chunks: on Linux the page cache takes whole, aligned writes in large folios, which made 64 KiB writes at
/// 64 KiB-aligned positions about 1.45 times as fast as the same writes 64 bytes off (ext4 on this project's benchmark
/// machine); a journal batch of 1,024 events of 64 bytes is 65,568 bytes, so its writes drift off the boundaries. An
/// appender that is behind writes the whole chunks of what it staged and keeps the rest (less than a chunk) for its next
/// round, a few microseconds later; an appender that caught up writes everything (<c>whole: true</c>).</para>
/// <para>Allocates nothing in steady state: the written prefix is dropped (the rest moved to the front) only when the
/// buffer is full; the frame queue grows only past its largest backlog. Thread-safety: the appender only.</para>
/// </remarks>
internal sealed class JournalStaging
{
    /// <summary>The default alignment of the writes of <see cref="Write"/> with <c>whole: false</c>: 64 KiB.</summary>
    public const int DefaultChunkBytes = 64 * 1024;

    private readonly long _chunkMask;

    private byte[] _buffer;
    private long _position;
    private int _length;
    private int _written;

    /// <summary>Staged frames not yet written whole: file position after the frame, offset after the frame. A ring.</summary>
    private (long End, long OffsetEnd)[] _frames = new (long, long)[16];
    private int _frameHead;
    private int _frameCount;

    /// <param name="capacity">The buffer's bytes (it grows for a larger frame).</param>
    /// <param name="position">The file position of the first byte to stage.</param>
    /// <param name="chunkBytes">The alignment of chunk writes: a power of two.</param>
    public JournalStaging(int capacity, long position, int chunkBytes = DefaultChunkBytes)
    {
        System.Diagnostics.Debug.Assert(chunkBytes > 0 && (chunkBytes & (chunkBytes - 1)) == 0, "a power of two");
        _buffer = new byte[capacity];
        _position = position;
        _chunkMask = ~(long)(chunkBytes - 1);
    }

    /// <summary>The file position after the last staged byte.</summary>
    public long End => _position + _length;

    /// <summary>The file position after the last written byte.</summary>
    public long WrittenEnd => _position + _written;

    /// <summary>True when staged bytes are not written yet.</summary>
    public bool HasUnwritten => _written < _length;

    /// <summary>Starts over at <paramref name="position"/> of a new file; everything staged must have been written.</summary>
    public void Reset(long position)
    {
        System.Diagnostics.Debug.Assert(!HasUnwritten, "everything staged was written before the staging moves to another file");
        _position = position;
        _length = _written = 0;
        _frameHead = _frameCount = 0;
    }

    /// <summary>
    /// The buffer bytes for a frame of <paramref name="frameSize"/> bytes at <see cref="End"/>, or an empty span when the
    /// buffer has no room without writing first (the caller writes everything, then asks again: it then gets room, the
    /// buffer growing for a frame larger than it).
    /// </summary>
    public Span<byte> Reserve(int frameSize)
    {
        if (_length + frameSize > _buffer.Length)
        {
            // Drop the written prefix; the unwritten rest moves to the front (overlapping copies are memmoves).
            _buffer.AsSpan(_written, _length - _written).CopyTo(_buffer);
            _position += _written;
            _length -= _written;
            _written = 0;
            if (_length + frameSize > _buffer.Length)
            {
                if (_length > 0)
                {
                    return [];
                }

                _buffer = new byte[frameSize];
            }
        }

        Span<byte> frame = _buffer.AsSpan(_length, frameSize);
        _length += frameSize;
        return frame;
    }

    /// <summary>Records that the frame reserved last, now filled, ends the offsets before <paramref name="offsetEnd"/>.</summary>
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

        _frames[(_frameHead + _frameCount) % _frames.Length] = (End, offsetEnd);
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
        long target = whole ? End : Math.Max(WrittenEnd, End & _chunkMask);
        if (target > WrittenEnd)
        {
            int upTo = (int)(target - _position);
            RandomAccess.Write(file, _buffer.AsSpan(_written, upTo - _written), WrittenEnd);
            _written = upTo;
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
}
