using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.CodegenChild;

/// <summary>
/// The child process of <c>PublishCodegenTests</c>: runs the publish loops a user writes so that the runtime compiles
/// them. The parent starts it with the JIT's disassembly switched on for the <see cref="Loops"/> methods and reads the
/// listing. Arguments: <c>fullopts</c> (one call of each loop, in both publish modes; the parent switched tiering off:
/// each method compiled once, fully optimised, with no profile, the code NativeAOT would run) or <c>tiered single|multi</c>
/// (calls in one publish mode until the runtime has had time to recompile each loop with the profile it gathered: a
/// process per mode, so that each mode's final code is tuned to its own profile). Prints <c>ran</c> when every loop ran.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        bool tiered = args.Length == 2 && args[0] == "tiered";
        if (!tiered && !(args.Length == 1 && args[0] == "fullopts"))
        {
            Console.Error.WriteLine("usage: fullopts | tiered single|multi");
            return 64;
        }

        PublishMode[] modes = !tiered ? [PublishMode.SingleWriter, PublishMode.MultiWriter]
            : args[1] == "single" ? [PublishMode.SingleWriter]
            : [PublishMode.MultiWriter];
        foreach (PublishMode mode in modes)
        {
            using var topic = new Topic<long>(new TopicOptions { Name = $"codegen-{mode}", Capacity = 1024, PublishMode = mode });
            // A lossless reader gates the ring, as a consumer group would: without one a writer takes the ungated path
            // on every claim, and the profile would say so.
            using PartitionReader<long> reader = topic.CreateReader(0);
            int rounds = tiered ? 120 : 1;
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
