using HotPath.Partitioning;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// The keys of the keyed scenario (<see cref="Topology.Keyed"/>): one <c>long</c> key per partition, found by asking
/// HotPath's default partitioner (<see cref="Partitioner.XxHash3"/>, what a topic uses unless told otherwise), so that the
/// event with sequence number <c>s</c> carries the key that hashes to partition <c>s mod N</c>. The writer hashes every
/// key as a user's keyed publish does, and every partition gets exactly its share, round robin: partition <c>p</c>
/// receives <c>p, p + N, p + 2N, ...</c>, which is what <see cref="KeyedCheck{TEvent}"/> checks.
/// </summary>
/// <remarks>Thread safety: immutable after construction; any thread.</remarks>
public sealed class KeyedRouting
{
    private readonly long[] _keys;
    private readonly int _mask;

    /// <summary>Finds a key for each of <paramref name="partitions"/> partitions.</summary>
    /// <param name="partitions">The partition count: a power of two from 1 to 1,024.</param>
    public KeyedRouting(int partitions)
    {
        if (partitions < 1 || partitions > 1024 || (partitions & (partitions - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, $"partitions must be a power of two from 1 to 1024: partitions={partitions}");
        }

        _keys = new long[partitions];
        _mask = partitions - 1;
        int found = 0;
        var seen = new bool[partitions];
        for (long key = 0; found < partitions; key++)
        {
            int partition = PartitionFor(key);
            if (!seen[partition])
            {
                seen[partition] = true;
                _keys[partition] = key;
                found++;
            }
        }
    }

    /// <summary>The partition count.</summary>
    public int Partitions => _keys.Length;

    /// <summary>The key of the event with sequence number <paramref name="sequence"/>.</summary>
    /// <param name="sequence">The event's sequence number.</param>
    /// <returns>A key that <see cref="PartitionFor"/> maps to partition <c>sequence mod N</c>.</returns>
    public long KeyFor(long sequence) => _keys[(int)sequence & _mask];

    /// <summary>The partition of <paramref name="key"/>, as the topic's default partitioner computes it.</summary>
    /// <param name="key">The key.</param>
    /// <returns>A partition in <c>[0, N)</c>.</returns>
    public int PartitionFor(long key) => Partitioner.XxHash3.PartitionFor(key, _keys.Length);
}
