using System.Globalization;

namespace HotPath.Tests.Durability;

/// <summary>What a crash child printed, parsed: see the line formats on the child's Program.</summary>
internal sealed class CrashChildReport
{
    public List<(int Partition, long Offset, long Key, long Seq)> Acks { get; } = [];

    /// <summary>Committed and acknowledged transactions of the transactional mode.</summary>
    public List<(long Producer, long Txn, int Count)> TxnAcks { get; } = [];

    /// <summary>Committed offsets the child printed (at the end of a handler batch, or observed), with when they arrived.</summary>
    public List<(long Timestamp, int Partition, long Offset)> Commits { get; } = [];

    /// <summary>The group's stored offsets the child recovered at its start.</summary>
    public Dictionary<int, long> Stored { get; } = [];

    public List<string> Errors { get; } = [];

    public List<string> Faults { get; } = [];

    public string? JournalFault { get; private set; }

    public string? Disposal { get; private set; }

    public long TruncatedBytes { get; private set; }

    public static CrashChildReport Parse(IReadOnlyList<(long Timestamp, string Line)> lines)
    {
        var report = new CrashChildReport();
        foreach ((long timestamp, string line) in lines)
        {
            string[] f = line.Split(' ');
            switch (f[0])
            {
                case "ack" when f.Length == 5:
                    report.Acks.Add((int.Parse(f[1], CultureInfo.InvariantCulture), Long(f[2]), Long(f[3]), Long(f[4])));
                    break;
                case "txn-ack" when f.Length == 4:
                    report.TxnAcks.Add((Long(f[1]), Long(f[2]), int.Parse(f[3], CultureInfo.InvariantCulture)));
                    break;
                case "commit" when f.Length == 3:
                    report.Commits.Add((timestamp, int.Parse(f[1], CultureInfo.InvariantCulture), Long(f[2])));
                    break;
                case "stored" when f.Length == 3:
                    report.Stored[int.Parse(f[1], CultureInfo.InvariantCulture)] = Long(f[2]);
                    break;
                case "recovered" when f.Length == 4:
                    report.TruncatedBytes = Long(f[3]);
                    break;
                case "error" or "openfailed":
                    report.Errors.Add(line);
                    break;
                case "fault":
                    report.Faults.Add(line);
                    break;
                case "journalfault":
                    report.JournalFault = line;
                    break;
                case "disposed" or "disposefailed":
                    report.Disposal = line;
                    break;
                case "ack" or "txn-ack" or "commit" or "stored" or "recovered":
                    // A torn line cannot happen (one write per line); if it does, it is an error of the harness.
                    report.Errors.Add($"malformed line: {line}");
                    break;
            }
        }

        return report;
    }

    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
}
