using System.Diagnostics;
using System.Globalization;
using HotPath.Consumers;
using HotPath.Groups;

namespace HotPath.Demo;

/// <summary>
/// The run's event log: notes from the demo and, as consumer-group-A's rebalance listener, every partition a member
/// gives up (with the offset committed for it) or takes. The live view shows the latest lines; the verification
/// reads who took a partition after the half-way stop and where the old owner committed.
/// </summary>
/// <remarks>Thread-safety: any thread (members call the listener on their own threads); guarded by a lock.</remarks>
internal sealed class RunLog : IRebalanceListener
{
    private readonly object _lock = new();
    private readonly Stopwatch _clock;
    private readonly List<(double Seconds, string Text)> _lines = [];
    private readonly List<(string MemberId, bool Assigned, TopicPartition Partition, long Committed)> _moves = [];
    private Func<TopicPartition, long>? _committed;

    public RunLog(Stopwatch clock) => _clock = clock;

    /// <summary>Reads the group's committed offsets when a partition is revoked. Set once the group exists.</summary>
    public void Attach(ConsumerGroup<OrderEvent> group) =>
        Volatile.Write(ref _committed, p => group.GetCommittedOffset(p.Topic, p.Partition));

    /// <summary>Adds a line.</summary>
    public void Note(string text)
    {
        lock (_lock)
        {
            _lines.Add((_clock.Elapsed.TotalSeconds, text));
        }
    }

    /// <summary>Lines from <paramref name="start"/> on, formatted with their time.</summary>
    public List<string> Lines(int start = 0)
    {
        lock (_lock)
        {
            return [.. _lines.Skip(start).Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Seconds,5:0.0}s  {l.Text}"))];
        }
    }

    /// <summary>Number of lines so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>The offset committed when <paramref name="memberId"/> gave up <paramref name="partition"/> (the last time), or null.</summary>
    public long? CommittedAtRevoke(string memberId, TopicPartition partition)
    {
        lock (_lock)
        {
            int i = _moves.FindLastIndex(m => !m.Assigned && m.MemberId == memberId && m.Partition == partition);
            return i < 0 ? null : _moves[i].Committed;
        }
    }

    /// <summary>The first member other than <paramref name="memberId"/> that took <paramref name="partition"/> after that member gave it up.</summary>
    public string? NextOwner(string memberId, TopicPartition partition)
    {
        lock (_lock)
        {
            int revoked = _moves.FindLastIndex(m => !m.Assigned && m.MemberId == memberId && m.Partition == partition);
            if (revoked < 0)
            {
                return null;
            }

            int next = _moves.FindIndex(revoked, m => m.Assigned && m.Partition == partition && m.MemberId != memberId);
            return next < 0 ? null : _moves[next].MemberId;
        }
    }

    public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (TopicPartition partition in partitions)
            {
                _moves.Add((memberId, true, partition, -1));
            }
        }

        Note($"{memberId} takes {Join(partitions)}");
    }

    public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions)
    {
        Func<TopicPartition, long>? committed = Volatile.Read(ref _committed);
        var offsets = partitions.Select(p => committed?.Invoke(p) ?? -1).ToList();
        lock (_lock)
        {
            for (int i = 0; i < partitions.Count; i++)
            {
                _moves.Add((memberId, false, partitions[i], offsets[i]));
            }
        }

        Note($"{memberId} gives up {Join(partitions)}, committed at {string.Join(", ", offsets.Select(o => o.ToString("N0", CultureInfo.InvariantCulture)))}");
    }

    public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions) =>
        Note($"{memberId} lost {Join(partitions)} without committing");

    private static string Join(IReadOnlyList<TopicPartition> partitions) =>
        string.Join(", ", partitions.Select(p => $"{p.Topic}-{p.Partition}"));
}
