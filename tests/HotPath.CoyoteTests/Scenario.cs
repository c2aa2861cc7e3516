using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.CoyoteTests;

/// <summary>Building blocks of the systematic tests: a one-partition topic, writers that fill claims field by field, readers.</summary>
internal static class Scenario
{
    /// <summary>Blocking, but parks after 2 spins and 2 yields, so short schedules reach the park protocols.</summary>
    public static readonly WaitStrategy QuickBlocking = WaitStrategy.CreateBlocking(2, 2);

    /// <summary>
    /// A one-partition topic whose parked writers have no backstop: a lost wake-up leaves every thread blocked, which
    /// Coyote reports as a deadlock, instead of costing the writer 200 ms.
    /// </summary>
    public static Topic<Stamped> Topic(int capacity, PublishMode mode, WaitStrategy? wait = null)
    {
        var topic = new Topic<Stamped>(new TopicOptions { Name = "coyote", Capacity = capacity, PublishMode = mode, WaitStrategy = wait ?? QuickBlocking });
        for (int partition = 0; partition < topic.PartitionCount; partition++)
        {
            topic[partition].WriterParkBackstopMilliseconds = Timeout.Infinite;
        }

        return topic;
    }

    /// <summary>Claims the next slot, writes the two fields one after the other, publishes; returns the offset.</summary>
    public static long Publish(Partition<Stamped> partition, long value)
    {
        using EventClaim<Stamped> claim = partition.Claim();
        claim.Event.Value = value;
        claim.Event.Check = ~value;
        claim.Publish();
        return claim.Offset;
    }

    /// <summary>
    /// Claims the next slot, writes one field (as a fill that throws half-way would) and abandons the claim by disposing
    /// it unpublished; returns the offset.
    /// </summary>
    public static long Abandon(Partition<Stamped> partition, long value)
    {
        using EventClaim<Stamped> claim = partition.Claim();
        claim.Event.Value = value;
        return claim.Offset;
    }

    public static Thread Start(Action body)
    {
        var thread = new Thread(() => body());
        thread.Start();
        return thread;
    }

    /// <summary>
    /// Polls a lossless pull reader until its position reaches <paramref name="end"/>, yielding between empty polls.
    /// </summary>
    public static List<(long Offset, Stamped Event)> ReadUntil(PartitionReader<Stamped> reader, long end)
    {
        var seen = new List<(long Offset, Stamped Event)>();
        var recorder = new Recorder(seen);
        while (reader.Position < end)
        {
            if (reader.Poll(ref recorder, maxEvents: 4) == 0)
            {
                Thread.Yield();
            }
        }

        return seen;
    }

    /// <summary>
    /// A group member's idle loop (MemberWorker.ParkOnPartitions) reduced to one cursor: dispatch and commit while events
    /// are available, else idle and then announce, raise the wake flag, re-check and park; until the position reaches
    /// <paramref name="end"/>. Returns what it handed out.
    /// </summary>
    public static List<(long Offset, Stamped Event)> ReadParking(ReadCursor<Stamped> cursor, Partition<Stamped> partition, Parker parker, long end)
    {
        var seen = new List<(long Offset, Stamped Event)>();
        var recorder = new Recorder(seen);
        int iteration = 0;
        while (cursor.Position < end)
        {
            if (cursor.Dispatch(ref recorder, 4) != 0)
            {
                Assert.True(cursor.TryCommitPosition(), "an unfenced cursor's commit is refused");
                iteration = 0;
                continue;
            }

            if (!QuickBlocking.Idle(ref iteration))
            {
                continue;
            }

            parker.BeginParking();
            try
            {
                partition.EnterReaderPark();
                if (cursor.Available() < cursor.Position)
                {
                    parker.Park(Partition<Stamped>.ReaderParkBackstop);
                }
            }
            finally
            {
                parker.EndParking();
            }
        }

        return seen;
    }

    /// <summary>Every handed-out event is intact (a torn or default event is not) and offsets only grow.</summary>
    public static void AssertIntactAndOrdered(List<(long Offset, Stamped Event)> seen)
    {
        long previous = -1;
        foreach ((long offset, Stamped @event) in seen)
        {
            Assert.True(@event.IsIntact, $"offset {offset} was handed out torn or empty: {@event}");
            Assert.True(offset > previous, $"offset {offset} was handed out after offset {previous}");
            previous = offset;
        }
    }
}
