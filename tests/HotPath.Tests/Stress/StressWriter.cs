using HotPath.Partitions;

namespace HotPath.Tests.Stress;

/// <summary>
/// A writer thread of the mixed stress test. It owns a set of keys (no other writer publishes them, so each key's
/// sequence grows with its offsets) and, until stopped, mixes plain publishes with claims filled in place: some held
/// for a while (half filled, while the other writers publish), some abandoned half filled (EventClaim or BatchClaim),
/// and batches published at once.
/// </summary>
internal static class StressWriter
{
    public static Thread Start(StressTopic topic, int[] keys, int seed, CancellationToken stop) =>
        new(() => Run(topic, keys, seed, stop)) { IsBackground = true, Name = $"stress writer {topic.Name}/{seed}" };

    private static void Run(StressTopic topic, int[] keys, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        var sequences = new long[keys.Length];
        int partitions = topic.Topic.PartitionCount;
        while (!stop.IsCancellationRequested)
        {
            int k = random.Next(keys.Length);
            int key = keys[k];
            Partition<StressEvent> partition = topic.Topic[key % partitions];
            int action = random.Next(100);
            if (action < 90)
            {
                StressEvent @event = StressEvent.Create(key, sequences[k]);
                if (partition.TryPublish(in @event, TimeSpan.FromMilliseconds(50), out _))
                {
                    sequences[k]++;
                    Interlocked.Increment(ref topic.Published[partition.Id]);
                }
            }
            else if (action < 95)
            {
                HoldAndPublish(topic, partition, key, ref sequences[k], random, stop);
            }
            else if (action < 98)
            {
                AbandonOne(topic, partition, stop);
            }
            else
            {
                Batch(topic, partition, key, ref sequences[k], random, stop);
            }
        }
    }

    /// <summary>Claims a slot, half fills it, holds it (yielding or sleeping, so that others publish meanwhile), then publishes it.</summary>
    private static void HoldAndPublish(StressTopic topic, Partition<StressEvent> partition, int key, ref long sequence, Random random, CancellationToken stop)
    {
        EventClaim<StressEvent> claim;
        while (!partition.TryClaim(out claim))
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }

            Thread.Sleep(1);
        }

        // Not `using (claim)`: that disposes a copy of the struct, which still believes it is unpublished and would
        // abandon the slot after the publish below.
        try
        {
            claim.Event = StressEvent.Torn;
            int hold = random.Next(4);
            if (random.Next(64) == 0)
            {
                // Long enough for the other writers to come round the ring: no one may take this slot meanwhile.
                Thread.Sleep(30);
            }
            else if (hold == 0)
            {
                Thread.Sleep(1);
            }
            else
            {
                for (int i = 0; i < hold * 4; i++)
                {
                    Thread.Yield();
                }
            }

            claim.Event = StressEvent.Create(key, sequence);
            claim.Publish();
            sequence++;
            topic.CountHold();
            Interlocked.Increment(ref topic.Published[partition.Id]);
        }
        finally
        {
            claim.Dispose();
        }
    }

    /// <summary>Claims one slot, half fills it and abandons it: a gap in multi-writer mode, the offset given back in single-writer mode.</summary>
    private static void AbandonOne(StressTopic topic, Partition<StressEvent> partition, CancellationToken stop)
    {
        EventClaim<StressEvent> claim;
        while (!partition.TryClaim(out claim))
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }

            Thread.Sleep(1);
        }

        claim.Event = StressEvent.Torn;
        if (topic.IsMultiWriter)
        {
            topic.AddGap(partition.Id, claim.Offset);
        }

        topic.CountAbandon();
        claim.Dispose();
    }

    /// <summary>Claims 2-4 slots at once and fills and publishes them, or half fills and abandons them.</summary>
    private static void Batch(StressTopic topic, Partition<StressEvent> partition, int key, ref long sequence, Random random, CancellationToken stop)
    {
        int count = random.Next(2, 5);
        bool abandon = random.Next(2) == 0;
        BatchClaim<StressEvent> batch;
        while (!partition.TryClaimBatch(count, out batch))
        {
            if (stop.IsCancellationRequested)
            {
                return;
            }

            Thread.Sleep(1);
        }

        try
        {
            for (int i = 0; i < count; i++)
            {
                batch[i] = abandon ? StressEvent.Torn : StressEvent.Create(key, sequence + i);
            }

            if (abandon)
            {
                for (int i = 0; i < count && topic.IsMultiWriter; i++)
                {
                    topic.AddGap(partition.Id, batch.FirstOffset + i);
                }

                topic.CountAbandon();
                return;
            }

            batch.Publish();
            sequence += count;
            Interlocked.Add(ref topic.Published[partition.Id], count);
        }
        finally
        {
            batch.Dispose();
        }
    }
}
