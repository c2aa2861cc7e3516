using HotPath.Consumers;
using HotPath.Partitions;

namespace HotPath.Tests.Support;

/// <summary>
/// Helpers for tests that drive a <see cref="ReadCursor{T}"/> directly: a fill that claims offsets in order (publishing
/// 100 + offset, or abandoning the claim to leave a gap), and handlers that record what a dispatch hands out.
/// </summary>
internal static class CursorProbes
{
    /// <summary>Claims <paramref name="count"/> offsets in order: each publishes 100 + offset, or is abandoned (a gap).</summary>
    public static void Fill(Partition<TestEvent> partition, int count, params long[] gaps)
    {
        for (int i = 0; i < count; i++)
        {
            var claim = partition.Claim();
            claim.Event = new TestEvent(100 + claim.Offset);
            if (gaps.Contains(claim.Offset))
            {
                claim.Dispose();
            }
            else
            {
                claim.Publish();
            }
        }
    }

    /// <summary>Records each event with its offset, value and end-of-batch flag; <see cref="Then"/> runs after each.</summary>
    public sealed class Recorder : IEventHandler<TestEvent>
    {
        public List<(long Offset, long Value, bool EndOfBatch)> Seen { get; } = [];

        public Action<long>? Then { get; set; }

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            Seen.Add((offset, @event.Value, endOfBatch));
            Then?.Invoke(offset);
        }
    }

    /// <summary>Records each batch as "firstOffset:value,value,…"; <see cref="Then"/> runs after each.</summary>
    public sealed class BatchRecorder : IBatchHandler<TestEvent>
    {
        public List<string> Batches { get; } = [];

        public Action? Then { get; init; }

        public void OnBatch(ReadOnlySpan<TestEvent> events, int partition, long firstOffset)
        {
            var values = new List<long>();
            foreach (TestEvent e in events)
            {
                values.Add(e.Value);
            }

            Batches.Add($"{firstOffset}:{string.Join(",", values)}");
            Then?.Invoke();
        }
    }
}
