using System.Buffers.Binary;
using System.Text;

namespace HotPath.Durability;

/// <summary>
/// The body of the one frame in <c>topic.meta</c>: what a topic was created with, checked again on every reopen so that
/// a journal is never read with another partition count, event size or event type.
/// </summary>
/// <remarks>
/// <code>
///  topic.meta = [64-byte file header, kind Meta][one frame: u32 length, u32 CRC-32, body]
///
///  body:
///  0                 4                 8        10
///  +-----------------+-----------------+--------+------------------------------+
///  | partition count | event size      | name   | event type full name         |
///  | i32             | i32             | length | UTF-8 (name length bytes)    |
///  |                 |                 | u16    |                              |
///  +-----------------+-----------------+--------+------------------------------+
/// </code>
/// Little-endian. Thread-safety: stateless.
/// </remarks>
internal static class TopicMetaLayout
{
    /// <summary>The longest event type name, in UTF-8 bytes.</summary>
    public const int MaxTypeNameBytes = ushort.MaxValue;

    private const int PartitionCountOffset = 0;
    private const int EventSizeOffset = 4;
    private const int NameLengthOffset = 8;
    private const int NameOffset = 10;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What a topic was created with.</summary>
    public readonly record struct Meta(int PartitionCount, int EventSize, string EventTypeName);

    /// <summary>The UTF-8 bytes of <paramref name="name"/>, or -1 when it is not valid UTF-16 (a lone surrogate).</summary>
    public static int NameBytes(string name)
    {
        try
        {
            return s_strictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return -1;
        }
    }

    /// <summary>The bytes of <c>topic.meta</c> for <paramref name="meta"/>: header, then the framed body.</summary>
    public static byte[] WriteFile(Meta meta)
    {
        int nameBytes = s_strictUtf8.GetByteCount(meta.EventTypeName);
        var file = new byte[FileHeaderLayout.Size + FrameLayout.FrameSize(NameOffset + nameBytes)];
        FileHeaderLayout.Write(file, FileHeaderLayout.FileKind.Meta, meta.EventSize, 0);
        Span<byte> frame = file.AsSpan(FileHeaderLayout.Size);
        Span<byte> body = frame[FrameLayout.HeaderSize..];
        BinaryPrimitives.WriteInt32LittleEndian(body[PartitionCountOffset..], meta.PartitionCount);
        BinaryPrimitives.WriteInt32LittleEndian(body[EventSizeOffset..], meta.EventSize);
        BinaryPrimitives.WriteUInt16LittleEndian(body[NameLengthOffset..], (ushort)nameBytes);
        s_strictUtf8.GetBytes(meta.EventTypeName, body[NameOffset..]);
        FrameLayout.Seal(frame);
        return file;
    }

    /// <summary>
    /// Reads <c>topic.meta</c> (its whole content in <paramref name="file"/>): a <see cref="JournalCorruptionException"/>
    /// naming <paramref name="path"/> when the header, the frame or the body is damaged.
    /// </summary>
    public static Meta ReadFile(ReadOnlySpan<byte> file, string path)
    {
        FileHeaderLayout.Read(file, path, FileHeaderLayout.FileKind.Meta);
        FrameLayout.Status status = FrameLayout.TryRead(file[FileHeaderLayout.Size..], out ReadOnlySpan<byte> body, out int frameSize);
        if (status != FrameLayout.Status.Valid)
        {
            throw new JournalCorruptionException(path, FileHeaderLayout.Size, $"the topic description frame is {status}");
        }

        int nameLength = body.Length < NameOffset ? -1 : BinaryPrimitives.ReadUInt16LittleEndian(body[NameLengthOffset..]);
        if (nameLength < 0 || body.Length != NameOffset + nameLength || file.Length != FileHeaderLayout.Size + frameSize)
        {
            throw new JournalCorruptionException(path, FileHeaderLayout.Size, $"the topic description is {body.Length} bytes long, which its name length ({nameLength}) does not account for, or bytes follow it");
        }

        string name;
        try
        {
            name = s_strictUtf8.GetString(body.Slice(NameOffset, nameLength));
        }
        catch (DecoderFallbackException e)
        {
            throw new JournalCorruptionException(path, FileHeaderLayout.Size, $"the event type name is not UTF-8 ({OsError.Describe(e)})");
        }

        return new Meta(
            BinaryPrimitives.ReadInt32LittleEndian(body[PartitionCountOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[EventSizeOffset..]),
            name);
    }
}
