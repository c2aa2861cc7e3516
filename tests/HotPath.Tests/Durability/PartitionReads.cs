using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>Reads a partition of a (reopened) topic from its start to its end offset, for the durable-topic tests.</summary>
internal static class PartitionReads
{
    /// <summary>
    /// Reads <paramref name="partition"/> from its start (the journal's, on a durable topic) to the end offset it has now,
    /// at <paramref name="isolation"/>; fails the test (message starting with <paramref name="context"/>) when the reader
    /// stops short for <paramref name="timeout"/>.
    /// </summary>
    public static List<(long Offset, T Event)> ReadToEnd<T>(Topic<T> topic, int partition, IsolationLevel isolation, TimeSpan timeout, string context)
        where T : struct
    {
        long end = topic[partition].EndOffset;
        var read = new List<(long, T)>();
        using PartitionReader<T> reader = topic.CreateReader(partition, OffsetReset.Earliest, isolation: isolation);
        var waited = Stopwatch.StartNew();
        while (reader.Position < end)
        {
            if (reader.TryRead(out T e, out long offset))
            {
                read.Add((offset, e));
            }
            else if (waited.Elapsed > timeout)
            {
                Assert.Fail($"{context}: partition {partition} {isolation}: the reader stopped at {reader.Position}, the end offset is {end}");
            }
            else
            {
                Thread.Yield();
            }
        }

        return read;
    }
}
