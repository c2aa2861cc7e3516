using System.Buffers.Binary;
using System.IO.Hashing;

namespace HotPath.Durability;

/// <summary>
/// The frame every journal record is written in: a length, a checksum of the body, the body. A reader that finds a
/// frame whose length runs past the data, or whose checksum does not match, knows the frame was not written whole.
/// </summary>
/// <remarks>
/// <code>
///  0               4               8
///  +---------------+---------------+---------------------------------+
///  | body length   | CRC-32 (IEEE) | body (body length bytes)        |
///  | u32, LE       | of the body   |                                 |
///  +---------------+---------------+---------------------------------+
/// </code>
/// The checksum is CRC-32 (IEEE 802.3), the value of System.IO.Hashing's <see cref="Crc32"/>, computed by
/// <see cref="FrameChecksum"/> (a 512-bit fold where the CPU has one). Integers are little-endian in every file,
/// whatever the machine. Thread-safety: stateless.
/// </remarks>
internal static class FrameLayout
{
    /// <summary>Bytes before the body.</summary>
    public const int HeaderSize = 8;

    /// <summary>The largest body a frame may carry: 1 GiB, far above any batch the journaller writes.</summary>
    public const int MaxBodyLength = 1 << 30;

    private const int LengthOffset = 0;
    private const int CrcOffset = 4;

    /// <summary>The outcome of <see cref="TryRead"/>.</summary>
    public enum Status
    {
        /// <summary>A whole frame whose checksum matches.</summary>
        Valid,

        /// <summary>Fewer bytes than the header, or than the length it announces: a frame cut short, or the end of the data.</summary>
        Incomplete,

        /// <summary>The announced length is 0 or above <see cref="MaxBodyLength"/>: never written by a journal.</summary>
        BadLength,

        /// <summary>The checksum does not match the body.</summary>
        BadChecksum,
    }

    /// <summary>The bytes a frame with a body of <paramref name="bodyLength"/> bytes takes.</summary>
    public static int FrameSize(int bodyLength) => HeaderSize + bodyLength;

    /// <summary>
    /// Writes the header of a frame whose body already sits in <paramref name="frame"/> after the header: the length and
    /// the checksum of <c>frame[HeaderSize..]</c>.
    /// </summary>
    public static void Seal(Span<byte> frame)
    {
        ReadOnlySpan<byte> body = frame[HeaderSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(frame[LengthOffset..], (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[CrcOffset..], FrameChecksum.Compute(body));
    }

    /// <summary>
    /// Writes the header of a frame whose body is in two pieces: the bytes after the header in <paramref name="frame"/>,
    /// then <paramref name="rest"/> (elsewhere in memory, written after it); <paramref name="scratch"/> as in
    /// <see cref="FrameChecksum.Compute(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Crc32)"/>.
    /// </summary>
    public static void Seal(Span<byte> frame, ReadOnlySpan<byte> rest, Crc32 scratch)
    {
        ReadOnlySpan<byte> head = frame[HeaderSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(frame[LengthOffset..], (uint)(head.Length + rest.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(frame[CrcOffset..], FrameChecksum.Compute(head, rest, scratch));
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="data"/>: on <see cref="Status.Valid"/>, its body and its whole size.
    /// </summary>
    public static Status TryRead(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> body, out int frameSize)
    {
        body = default;
        frameSize = 0;
        if (data.Length < HeaderSize)
        {
            return Status.Incomplete;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(data[LengthOffset..]);
        if (length is 0 or > MaxBodyLength)
        {
            return Status.BadLength;
        }

        if (data.Length - HeaderSize < length)
        {
            return Status.Incomplete;
        }

        ReadOnlySpan<byte> candidate = data.Slice(HeaderSize, (int)length);
        if (FrameChecksum.Compute(candidate) != BinaryPrimitives.ReadUInt32LittleEndian(data[CrcOffset..]))
        {
            return Status.BadChecksum;
        }

        body = candidate;
        frameSize = HeaderSize + (int)length;
        return Status.Valid;
    }

    /// <summary>The body length a frame header announces (for a reader that fetches the body separately).</summary>
    public static uint AnnouncedLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32LittleEndian(header[LengthOffset..]);
}
