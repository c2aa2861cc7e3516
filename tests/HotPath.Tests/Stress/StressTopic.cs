using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Tests.Stress;

/// <summary>
/// One topic of the mixed stress test and what its writers did: per partition, the offsets given up as gaps
/// (abandoned multi-writer claims), and counters of publishes, holds and abandons.
/// </summary>
internal sealed class StressTopic : IDisposable
{
    private readonly HashSet<long>[] _gaps;
    private long _holds;
    private long _abandons;

    public StressTopic(string name, int partitions, int capacity, PublishMode mode, int keysPerPartition)
    {
        Name = name;
        KeysPerPartition = keysPerPartition;
        Topic = new Topic<StressEvent>(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = capacity, PublishMode = mode });
        _gaps = [.. Enumerable.Range(0, partitions).Select(_ => new HashSet<long>())];
        Published = new long[partitions];
    }

    public string Name { get; }

    public Topic<StressEvent> Topic { get; }

    public int KeysPerPartition { get; }

    /// <summary>Events published per partition (gaps not included); written by the writers with Interlocked.</summary>
    public long[] Published { get; }

    public long Holds => Interlocked.Read(ref _holds);

    public long Abandons => Interlocked.Read(ref _abandons);

    public bool IsMultiWriter => Topic[0].Mode == PublishMode.MultiWriter;

    public void CountHold() => Interlocked.Increment(ref _holds);

    public void CountAbandon() => Interlocked.Increment(ref _abandons);

    /// <summary>Records an abandoned multi-writer offset; called before the claim is disposed (which publishes the gap).</summary>
    public void AddGap(int partition, long offset)
    {
        lock (_gaps[partition])
        {
            _gaps[partition].Add(offset);
        }
    }

    public bool IsGap(int partition, long offset)
    {
        lock (_gaps[partition])
        {
            return _gaps[partition].Contains(offset);
        }
    }

    public long GapsIn(int partition, long from, long to)
    {
        lock (_gaps[partition])
        {
            return _gaps[partition].Count(g => g >= from && g < to);
        }
    }

    public long Gaps(int partition)
    {
        lock (_gaps[partition])
        {
            return _gaps[partition].Count;
        }
    }

    public void Dispose() => Topic.Dispose();
}
