using HotPath.CrashChild;
using HotPath.Durability;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>
/// Reopens a crash child's directory in the test process and checks what the journal kept: recovery does not throw,
/// every acknowledged event is at its partition and offset, intact, and per key the sequences run one apart in offset
/// order within the key's partition.
/// </summary>
internal static class CrashJournalCheck
{
    private static readonly TimeSpan ScanTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What the reopen found.</summary>
    public sealed record Result(TopicRecovery Recovery, long[] Ends, long Events);

    /// <summary>
    /// Reopens <paramref name="directory"/> and checks it against <paramref name="acked"/> (partition and offset to key
    /// and sequence). Fails the test with <paramref name="context"/> (the seed) in the message.
    /// </summary>
    public static Result Verify(string directory, SyncPolicy sync, IReadOnlyDictionary<(int Partition, long Offset), (long Key, long Seq)> acked, string context)
    {
        TopicRecovery recovery;
        JournalScan scan;
        long[] ends;
        try
        {
            using var topic = new Topic<CrashEvent>(CrashTopic.Options(directory, sync));
            recovery = topic.Recovery!;
            ends = topic.Partitions.Select(p => p.EndOffset).ToArray();
            scan = JournalScan.Read(topic, ScanTimeout);
        }
        catch (Exception e)
        {
            Assert.Fail($"{context}: reopening after the crash threw {e}");
            throw;
        }

        long events = 0;
        for (int p = 0; p < CrashTopic.Partitions; p++)
        {
            (long Offset, CrashEvent Event)[] read = scan.Events[p];
            events += read.Length;
            Assert.True(read.Length == ends[p] - recovery.Partitions[p].StartOffset,
                $"{context}: partition {p} read {read.Length} events, its journal holds [{recovery.Partitions[p].StartOffset}, {ends[p]})");
            var lastSeq = new Dictionary<long, (long Seq, long Offset)>();
            for (int i = 0; i < read.Length; i++)
            {
                (long offset, CrashEvent e) = read[i];
                Assert.True(offset == recovery.Partitions[p].StartOffset + i, $"{context}: partition {p} read offset {offset} at position {i}");
                Assert.True(e.IsIntact, $"{context}: partition {p} offset {offset} is damaged: {e}");
                Assert.True(e.Key is >= 0 and < CrashTopic.Keys, $"{context}: partition {p} offset {offset} has an unknown key: {e}");
                // Per key, one writer publishes the sequence in order into one partition, and a journal keeps a prefix
                // of each partition: so the sequences of a key run one apart from 0, across restarts too.
                long expected = lastSeq.TryGetValue(e.Key, out (long Seq, long Offset) last) ? last.Seq + 1 : 0;
                Assert.True(e.Seq == expected,
                    $"{context}: partition {p} offset {offset}: key {e.Key} seq {e.Seq}, expected {expected} (previous at offset {(lastSeq.ContainsKey(e.Key) ? last.Offset : -1)})");
                lastSeq[e.Key] = (e.Seq, offset);
            }
        }

        foreach (KeyValuePair<(int Partition, long Offset), (long Key, long Seq)> ack in acked)
        {
            (int p, long offset) = ack.Key;
            long index = offset - recovery.Partitions[p].StartOffset;
            Assert.True(index >= 0 && index < scan.Events[p].Length,
                $"{context}: acknowledged event {ack.Value} at partition {p} offset {offset} is lost: the journal holds [{recovery.Partitions[p].StartOffset}, {ends[p]})");
            CrashEvent e = scan.Events[p][index].Event;
            Assert.True(e.IsIntact && e.Key == ack.Value.Key && e.Seq == ack.Value.Seq,
                $"{context}: acknowledged key {ack.Value.Key} seq {ack.Value.Seq} at partition {p} offset {offset} reads back as {e}");
        }

        return new Result(recovery, ends, events);
    }
}
