using HotPath.Consumers;
using HotPath.Topics;

namespace HotPath.CrashChild;

/// <summary>
/// The child's durable group handler: checks each event's checksum and its key's order (one apart from the last seen
/// in this process, the first seen per key excepted: the group resumes at its stored offset), checks that a
/// journaled-only group sees only acknowledged offsets, and prints <c>commit &lt;partition&gt; &lt;offset&gt;</c> at
/// the end of each batch, before the group commits it, so the parent has seen every offset that may get stored.
/// </summary>
/// <remarks>Thread-safety: one member, so one worker thread calls it; the printing is synchronised.</remarks>
internal sealed class CheckingHandler(Topic<CrashEvent> topic, bool journaledOnly, Output output) : IEventHandler<CrashEvent>
{
    private readonly long[] _lastSeq = Enumerable.Repeat(-1L, CrashTopic.Keys).ToArray();

    public void OnEvent(ref readonly CrashEvent @event, int partition, long offset, bool endOfBatch)
    {
        if (!@event.IsIntact || @event.Key is < 0 or >= CrashTopic.Keys)
        {
            output.Line($"error damaged event at {partition} {offset}: {@event}");
        }
        else
        {
            long last = _lastSeq[@event.Key];
            if (last >= 0 && @event.Seq != last + 1)
            {
                output.Line($"error key {@event.Key} seq {@event.Seq} after {last} at {partition} {offset}");
            }

            _lastSeq[@event.Key] = @event.Seq;
        }

        if (journaledOnly && offset >= topic[partition].AcknowledgedEnd)
        {
            output.Line($"error journaled-only group saw {partition} {offset} at or past the acknowledged end {topic[partition].AcknowledgedEnd}");
        }

        if (endOfBatch)
        {
            output.Line($"commit {partition} {offset + 1}");
        }
    }
}
