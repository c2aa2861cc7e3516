using System.Runtime.CompilerServices;
using System.Text;

namespace HotPath.Durability;

/// <summary>
/// Reads <c>offsets.log</c> back when it is opened: every record in order, then the verdict on the first bad frame. A
/// bad frame after which no valid record can be found is a torn tail (the crash cut the last write short): it is
/// truncated. A bad frame followed by a valid record is damage inside written data: a <see cref="JournalCorruptionException"/>.
/// </summary>
/// <remarks>
/// The log is small (compaction bounds it), so it is read whole. Looking for a valid record after a bad frame tries each
/// later byte position, but only computes a checksum where the record header and entries are well-formed, so a garbage
/// tail costs one pass. A frame whose checksum matches but whose record is malformed was written that way: corruption,
/// never a torn tail. Thread-safety: stateless.
/// </remarks>
internal static class OffsetLogScan
{
    /// <summary>What the scan found; the entries went to the callback.</summary>
    /// <param name="RecordsRead">The valid records read.</param>
    /// <param name="ValidBytes">The length of the file after any truncation: where the next record goes.</param>
    /// <param name="TornBytes">The bytes truncated, 0 when none.</param>
    /// <param name="TornPosition">Where the torn tail began, or -1.</param>
    /// <param name="TornReason">Why the frame there is bad, or null.</param>
    public readonly record struct Result(int RecordsRead, long ValidBytes, long TornBytes, long TornPosition, string? TornReason);

    /// <summary>
    /// Reads the log open in <paramref name="stream"/>, passing every entry in order to <paramref name="onEntry"/>;
    /// truncates a torn tail (and syncs the truncation).
    /// </summary>
    public static Result Recover(FileStream stream, string path, Action<OffsetEntry> onEntry)
    {
        long length = stream.Length;
        if (length > Array.MaxLength)
        {
            throw new JournalException(path, $"the offsets log '{path}' is {length} bytes long, more than one read can hold ({Array.MaxLength}); it is compacted far below that, so it is not a log this library wrote");
        }

        var data = new byte[length];
        stream.Seek(0, SeekOrigin.Begin);
        stream.ReadExactly(data);
        FileHeaderLayout.Read(data, path, FileHeaderLayout.FileKind.Offsets);

        int position = FileHeaderLayout.Size;
        int records = 0;
        while (position < data.Length)
        {
            FrameLayout.Status status = FrameLayout.TryRead(data.AsSpan(position), out ReadOnlySpan<byte> body, out int frameSize);
            if (status == FrameLayout.Status.Valid)
            {
                if (!OffsetRecordLayout.TryValidate(body, out string? malformed))
                {
                    throw new JournalCorruptionException(path, position, $"the record's checksum matches but {malformed}");
                }

                ReadEntries(body, path, position, onEntry);
                position += frameSize;
                records++;
                continue;
            }

            string reason = Describe(status, data.Length - position);
            int next = FindValidRecord(data, position + 1);
            if (next >= 0)
            {
                throw new JournalCorruptionException(path, position, $"{reason}, yet a valid record follows at byte {next}");
            }

            stream.SetLength(position);
            RandomAccess.FlushToDisk(stream.SafeFileHandle);
            return new Result(records, position, data.Length - position, position, reason);
        }

        return new Result(records, position, 0, -1, null);
    }

    private static void ReadEntries(ReadOnlySpan<byte> body, string path, int position, Action<OffsetEntry> onEntry)
    {
        try
        {
            OffsetRecordLayout.ReadEntries(body, onEntry);
        }
        catch (DecoderFallbackException e)
        {
            throw new JournalCorruptionException(path, position, $"the record's checksum matches but a group id is not UTF-8 ({OsError.Describe(e)})");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Describe(FrameLayout.Status status, int remaining) => status switch
    {
        FrameLayout.Status.Incomplete => $"the frame is cut short (only {remaining} bytes remain)",
        FrameLayout.Status.BadLength => "the frame's length is 0 or impossible",
        _ => "the frame's checksum does not match its body",
    };

    private static int FindValidRecord(byte[] data, int from)
    {
        for (int p = from; p <= data.Length - FrameLayout.HeaderSize - OffsetRecordLayout.RecordHeaderSize; p++)
        {
            if (data[p + FrameLayout.HeaderSize] != OffsetRecordLayout.CommitKind || data[p + FrameLayout.HeaderSize + 1] != 0)
            {
                continue;
            }

            uint length = FrameLayout.AnnouncedLength(data.AsSpan(p));
            if (length > data.Length - p - FrameLayout.HeaderSize
                || !OffsetRecordLayout.TryValidate(data.AsSpan(p + FrameLayout.HeaderSize, (int)length), out _))
            {
                continue;
            }

            if (FrameLayout.TryRead(data.AsSpan(p), out _, out _) == FrameLayout.Status.Valid)
            {
                return p;
            }
        }

        return -1;
    }
}
