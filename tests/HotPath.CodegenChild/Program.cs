using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.CodegenChild;

/// <summary>
/// The child process of <c>PublishCodegenTests</c>: runs the publish loops a user writes, once each, so that the runtime
/// compiles them. The parent starts it with the JIT's disassembly switched on for the <see cref="Loops"/> methods and
/// tiered compilation off (each method compiled once, fully optimised, with no profile: the code NativeAOT would run),
/// and reads the listing. Prints <c>ran</c> when every loop ran.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // "fullopts": one call of each loop (the parent switched tiering off). "tiered": calls until the runtime has had
        // time to recompile each loop with the profile it gathered (the parent switched the call-counting delay off).
        bool tiered = args.Length == 1 && args[0] == "tiered";
        using var single = new Topic<long>(new TopicOptions { Name = "codegen-single", Capacity = 1024, PublishMode = PublishMode.SingleWriter });
        using var multi = new Topic<long>(new TopicOptions { Name = "codegen-multi", Capacity = 1024 });
        foreach (Topic<long> topic in (Topic<long>[])[single, multi])
        {
            // A lossless reader gates the ring, as a consumer group would: without one a writer takes the ungated path
            // on every claim, and the profile would say so.
            using PartitionReader<long> reader = topic.CreateReader(0);
            int rounds = tiered ? 80 : 1;
            for (int round = 0; round < rounds; round++)
            {
                for (int call = 0; call < (tiered ? 50 : 1); call++)
                {
                    Loops.PublishLoop(topic[0], 100);
                    Drain(reader);
                    Loops.ClaimLoop(topic[0], 100);
                    Drain(reader);
                    Loops.KeylessLoop(topic, 100);
                    Drain(reader);
                    Loops.LongKeyLoop(topic, 100);
                    Drain(reader);
                }

                if (tiered)
                {
                    // Time for the background recompilation.
                    Thread.Sleep(25);
                }
            }
        }

        Console.WriteLine("ran");
        return 0;
    }

    private static void Drain(PartitionReader<long> reader)
    {
        var sink = default(Sink);
        while (reader.Poll(ref sink, 1024) > 0)
        {
        }

        if (sink.Count == 0)
        {
            throw new InvalidOperationException("the reader got no event");
        }
    }

    private struct Sink : IEventHandler<long>
    {
        public long Count;

        public void OnEvent(ref readonly long @event, int partition, long offset, bool endOfBatch) => Count++;
    }
}

/// <summary>The loops whose compiled code the parent checks. Never inlined: each is a method of its own in the listing.</summary>
internal static class Loops
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PublishLoop(Partition<long> partition, long count)
    {
        for (long i = 0; i < count; i++)
        {
            partition.Publish(in i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ClaimLoop(Partition<long> partition, long count)
    {
        for (long i = 0; i < count; i++)
        {
            using EventClaim<long> claim = partition.Claim();
            claim.Event = i;
            claim.Publish();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void KeylessLoop(Topic<long> topic, long count)
    {
        for (long i = 0; i < count; i++)
        {
            topic.Publish(in i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LongKeyLoop(Topic<long> topic, long count)
    {
        for (long i = 0; i < count; i++)
        {
            topic.Publish(i, in i);
        }
    }
}
