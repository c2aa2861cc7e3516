using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.CrashChild;

/// <summary>
/// Everything a durable topic's journal holds, read through a fresh group that stores no offsets (it starts at the
/// journal's start and catches up from the journal): per partition, the events by offset from the partition's start.
/// </summary>
/// <remarks>Thread-safety: built by <see cref="Read"/>; immutable afterwards.</remarks>
public sealed class JournalScan
{
    private JournalScan(long[] starts, (long Offset, CrashEvent Event)[][] events)
    {
        Starts = starts;
        Events = events;
    }

    /// <summary>Per partition, the first offset read.</summary>
    public IReadOnlyList<long> Starts { get; }

    /// <summary>Per partition, the events read, in the order the group handed them over.</summary>
    public IReadOnlyList<(long Offset, CrashEvent Event)[]> Events { get; }

    /// <summary>Reads every partition of <paramref name="topic"/> up to its end offset at the time of the call.</summary>
    /// <param name="topic">A durable topic; nothing else should publish while it is read.</param>
    /// <param name="timeout">How long to wait for the group to reach the ends.</param>
    /// <returns>The events.</returns>
    /// <exception cref="TimeoutException">The group did not reach the ends in time.</exception>
    public static JournalScan Read(Topic<CrashEvent> topic, TimeSpan timeout)
    {
        long[] ends = topic.Partitions.Select(p => p.EndOffset).ToArray();
        var collector = new Collector(topic.PartitionCount);
        using (var group = new ConsumerGroup<CrashEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "scan",
            DurableOffsets = false,
            AutoOffsetReset = OffsetReset.Earliest,
        }))
        {
            group.Join(collector);
            bool done = SpinWait.SpinUntil(
                () => Enumerable.Range(0, ends.Length).All(p => group.GetCommittedOffset(topic.Name, p) >= ends[p]),
                timeout);
            if (!done)
            {
                string progress = string.Join(", ", Enumerable.Range(0, ends.Length).Select(p => $"{p}: {group.GetCommittedOffset(topic.Name, p)}/{ends[p]}"));
                throw new TimeoutException($"the scan group did not reach the partitions' ends in {timeout}: {progress}");
            }
        }

        (long Offset, CrashEvent Event)[][] events = collector.Take();
        long[] starts = events.Select((e, p) => e.Length > 0 ? e[0].Offset : ends[p]).ToArray();
        return new JournalScan(starts, events);
    }

    /// <summary>The highest sequence number per key, or -1 for a key never seen.</summary>
    /// <returns>Indexed by key.</returns>
    public long[] LastSeqPerKey()
    {
        long[] last = Enumerable.Repeat(-1L, CrashTopic.Keys).ToArray();
        foreach ((long _, CrashEvent e) in Events.SelectMany(p => p))
        {
            if (e.IsIntact && e.Key is >= 0 and < CrashTopic.Keys)
            {
                last[e.Key] = Math.Max(last[e.Key], e.Seq);
            }
        }

        return last;
    }

    private sealed class Collector(int partitions) : IEventHandler<CrashEvent>
    {
        private readonly List<(long, CrashEvent)>[] _events = Enumerable.Range(0, partitions).Select(_ => new List<(long, CrashEvent)>()).ToArray();

        public void OnEvent(ref readonly CrashEvent @event, int partition, long offset, bool endOfBatch)
        {
            lock (_events[partition])
            {
                _events[partition].Add((offset, @event));
            }
        }

        public (long, CrashEvent)[][] Take() => _events.Select(l => { lock (l) { return l.ToArray(); } }).ToArray();
    }
}
