namespace HotPath.Durability;

/// <summary>
/// Reads a transaction log back when it is opened: its last session and its commit records in order. A bad frame with
/// no valid record after it is a torn tail (a crash cut the last write short: that transaction was never acknowledged)
/// and is dropped; a bad frame followed by a valid record, or a whole frame (checksum valid) whose record does not
/// decode, is damage inside written data: a <see cref="JournalCorruptionException"/> naming the file and position.
/// </summary>
/// <remarks>The log is small (compaction bounds it): it is read whole. Thread-safety: a value built once.</remarks>
internal sealed class TransactionLogScan
{
    public TransactionLogScan(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        byte[] data = File.ReadAllBytes(path);
        FileHeaderLayout.Read(data, path, FileHeaderLayout.FileKind.Transactions);
        int position = FileHeaderLayout.Size;
        while (position < data.Length)
        {
            string? reason = TryRecord(data, position, out int frameSize, out int session, out TransactionRecord record, out bool whole);
            if (reason is not null && whole)
            {
                // Written whole (its checksum matches) yet not a record of this format: another writer or a bug, never a
                // crash's torn write. Dropping it as a torn tail could drop a commit.
                throw new JournalCorruptionException(path, position, $"a whole record does not decode: {reason}");
            }

            if (reason is null)
            {
                if (session >= 0)
                {
                    LastSession = Math.Max(LastSession, session);
                }
                else
                {
                    Records.Add(record);
                }

                position += frameSize;
                continue;
            }

            for (int next = position + 1; next < data.Length - FrameLayout.HeaderSize; next++)
            {
                if (TryRecord(data, next, out _, out _, out _, out _) is null)
                {
                    throw new JournalCorruptionException(path, position, $"{reason}, yet a valid record follows at byte {next}");
                }
            }

            // A torn tail: the crash cut the last record short; it was never acknowledged.
            break;
        }
    }

    /// <summary>The highest session recorded, 0 when none.</summary>
    public int LastSession { get; }

    /// <summary>The commit records, in file order.</summary>
    public List<TransactionRecord> Records { get; } = [];

    /// <summary>
    /// Reads the record at <paramref name="position"/>: null when it is a valid record, else why not, with
    /// <paramref name="whole"/> true when its frame is whole (checksum valid) and only its content is wrong.
    /// </summary>
    private static string? TryRecord(byte[] data, int position, out int frameSize, out int session, out TransactionRecord record, out bool whole)
    {
        session = -1;
        record = default;
        frameSize = 0;
        whole = false;
        if (data.Length - position > FrameLayout.HeaderSize
            && data[position + FrameLayout.HeaderSize] is not (TransactionRecordLayout.SessionKind or TransactionRecordLayout.CommitKind))
        {
            return $"unknown record kind {data[position + FrameLayout.HeaderSize]}";
        }

        FrameLayout.Status status = FrameLayout.TryRead(data.AsSpan(position), out ReadOnlySpan<byte> body, out frameSize);
        if (status != FrameLayout.Status.Valid)
        {
            return $"bad frame ({status})";
        }

        whole = true;
        return TransactionRecordLayout.TryDecode(body, out session, out record);
    }
}
