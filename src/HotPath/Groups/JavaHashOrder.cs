namespace HotPath.Groups;

/// <summary>
/// Reproduces the iteration order of Java's <c>HashMap</c>/<c>HashSet</c> where Kafka's sticky assignor depends on it
/// (which member keeps its extra partition first, which moved partition is moved back), so that results match
/// Kafka's own, deterministically.
/// </summary>
/// <remarks>
/// A Java hash table iterates its buckets in index order and, inside a bucket, entries in insertion order. The bucket
/// is <c>(h ^ (h &gt;&gt;&gt; 16)) &amp; (capacity - 1)</c>; the capacity starts at 16 and doubles once the size passes
/// three quarters of it. Tree bins (8+ entries in one bucket) are not modelled. Thread-safety: stateless.
/// </remarks>
internal static class JavaHashOrder
{
    /// <summary>Java's <c>String.hashCode</c>.</summary>
    public static int StringHash(string value)
    {
        int hash = 0;
        foreach (char c in value)
        {
            hash = unchecked((31 * hash) + c);
        }

        return hash;
    }

    /// <summary>Kafka's <c>TopicPartition.hashCode</c>.</summary>
    public static int PartitionHash(TopicPartition partition) =>
        unchecked((31 * (31 + partition.Partition)) + StringHash(partition.Topic));

    /// <summary>The table capacity of a default-constructed Java hash map after <paramref name="maxCount"/> entries.</summary>
    public static int Capacity(int maxCount)
    {
        int capacity = 16;
        while (maxCount > capacity / 4 * 3)
        {
            capacity <<= 1;
        }

        return capacity;
    }

    /// <summary>The bucket of <paramref name="hash"/> in a table of <paramref name="capacity"/> slots.</summary>
    public static int Bucket(int hash, int capacity) => (hash ^ (int)((uint)hash >> 16)) & (capacity - 1);

    /// <summary>Member ids in the order a Java <c>HashMap</c> filled in <paramref name="insertionOrder"/> iterates them.</summary>
    public static List<string> Members(IReadOnlyList<string> insertionOrder)
    {
        int capacity = Capacity(insertionOrder.Count);
        var keyed = new List<(int Bucket, int Index, string Member)>(insertionOrder.Count);
        for (int i = 0; i < insertionOrder.Count; i++)
        {
            keyed.Add((Bucket(StringHash(insertionOrder[i]), capacity), i, insertionOrder[i]));
        }

        keyed.Sort((a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : a.Index.CompareTo(b.Index));
        var result = new List<string>(keyed.Count);
        foreach ((int _, int _, string member) in keyed)
        {
            result.Add(member);
        }

        return result;
    }
}
