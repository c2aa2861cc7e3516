using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Topics;

namespace HotPath.CrashChild;

/// <summary>
/// The child process of the crash tests: opens the durable <see cref="CrashTopic"/> in a directory, reports what it
/// recovered, then publishes from <see cref="CrashTopic.Writers"/> threads and consumes with a durable group until it is
/// killed (or its journal fails). Every line it prints is one fact the parent checks after the kill.
/// </summary>
/// <remarks>
/// Arguments: <c>&lt;directory&gt; &lt;None|Interval|EveryBatch&gt; &lt;journaled-only 0|1&gt; [segment bytes]
/// [--transactions|--exactly-once &lt;run&gt;]</c>; the last pair selects <see cref="TransactionalMode"/> or
/// <see cref="ExactlyOnceMode"/> (their lines are described there).
/// Lines: <c>recovered &lt;is new&gt; &lt;retained events&gt; &lt;truncated bytes&gt;</c>, <c>recovery &lt;detail&gt;</c>,
/// <c>stored &lt;partition&gt; &lt;offset&gt;</c>, <c>resume &lt;key&gt; &lt;next seq&gt;</c>, <c>ready</c>, then
/// <c>ack &lt;partition&gt; &lt;offset&gt; &lt;key&gt; &lt;seq&gt;</c> (after WaitAcknowledged returned true),
/// <c>commit &lt;partition&gt; &lt;offset&gt;</c>, <c>error &lt;what&gt;</c> (a check failed), and when the journal
/// fails: <c>fault &lt;exception type&gt; &lt;path&gt; | &lt;message&gt;</c> per writer, <c>journalfault ...</c> (the
/// same for <see cref="Topic{T}.JournalFault"/>), then <c>disposed</c> or <c>disposefailed ...</c>.
/// </remarks>
internal static class Program
{
    private const int Burst = 16;

    // A pause after each burst keeps a run's journal to thousands of events, so the parent's checks stay fast.
    internal const int PauseMilliseconds = 2;
    internal static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SelfDestruct = TimeSpan.FromMinutes(2);

    private static int Main(string[] args)
    {
        // "--transactions <run>" at the end selects the transactional mode (see TransactionalMode), "--exactly-once <run>"
        // the consume-transform-produce mode (see ExactlyOnceMode).
        bool exactlyOnce = args.Length >= 2 && args[^2] == "--exactly-once";
        int? run = args.Length >= 2 && (args[^2] == "--transactions" || exactlyOnce) ? int.Parse(args[^1], System.Globalization.CultureInfo.InvariantCulture) : null;
        string[] rest = run is null ? args : args[..^2];
        if (rest.Length is < 3 or > 4)
        {
            Console.Error.WriteLine("usage: <directory> <None|Interval|EveryBatch> <journaled-only 0|1> [segment bytes] [--transactions <run>]");
            return 64;
        }

        var output = new Output();
        string directory = rest[0];
        SyncPolicy sync = Enum.Parse<SyncPolicy>(rest[1]);
        bool journaledOnly = rest[2] == "1";
        long segmentBytes = rest.Length == 4 ? long.Parse(rest[3], System.Globalization.CultureInfo.InvariantCulture) : CrashTopic.DefaultSegmentBytes;

        // The parent kills us; should it die first, do not outlive it by much.
        // A using keeps the timer referenced to the end of Main: a timer nobody references may be collected unfired.
        using var selfDestruct = new Timer(_ => Environment.Exit(4), null, SelfDestruct, Timeout.InfiniteTimeSpan);

        if (exactlyOnce)
        {
            return ExactlyOnceMode.Run(directory, sync, run!.Value, output);
        }

        return run is int r
            ? TransactionalMode.Run(CrashTopic.Options(directory, sync, segmentBytes), r, output)
            : RunPlain(CrashTopic.Options(directory, sync, segmentBytes), journaledOnly, output);
    }

    /// <summary>Opens the topic and prints what it recovered (<c>recovered</c> and <c>recovery</c> lines); null (after an <c>openfailed</c> line) when the open threw.</summary>
    internal static Topic<T>? Open<T>(TopicOptions options, Output output)
        where T : struct
    {
        Topic<T> topic;
        try
        {
            topic = new Topic<T>(options);
        }
        catch (Exception e)
        {
            output.Line($"openfailed {Describe(e)}");
            return null;
        }

        TopicRecovery recovery = topic.Recovery!;
        output.Line($"recovered {recovery.IsNew} {recovery.RetainedEvents} {recovery.TruncatedBytes}");
        foreach (string line in recovery.ToString().Split(Environment.NewLine))
        {
            output.Line($"recovery {line}");
        }

        return topic;
    }

    /// <summary>
    /// Prints <c>ready</c>, runs <paramref name="write"/> on <paramref name="writers"/> threads until each returns (only
    /// when the journal failed), then prints <c>journalfault</c> and disposes <paramref name="first"/> and the topic.
    /// </summary>
    internal static int RunWriters<T>(Topic<T> topic, int writers, Action<int> write, IDisposable? first, Output output)
        where T : struct
    {
        output.Line("ready");
        Thread[] threads = Enumerable.Range(0, writers)
            .Select(w => new Thread(() => write(w)) { Name = $"writer-{w}" })
            .ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        output.Line($"journalfault {(topic.JournalFault is Exception fault ? Describe(fault) : "none")}");
        try
        {
            first?.Dispose();
            topic.Dispose();
            output.Line("disposed");
        }
        catch (Exception e)
        {
            output.Line($"disposefailed {Describe(e)}");
        }

        return 0;
    }

    internal static string Describe(Exception e) =>
        $"{e.GetType().Name} {(e as JournalException)?.Path ?? "-"} | {e.Message.ReplaceLineEndings(" ")}";

    private static int RunPlain(TopicOptions options, bool journaledOnly, Output output)
    {
        if (Open<CrashEvent>(options, output) is not Topic<CrashEvent> topic)
        {
            return 2;
        }

        foreach (KeyValuePair<(string GroupId, int Partition), long> stored in topic.Recovery!.GroupOffsets)
        {
            if (stored.Key.GroupId == CrashTopic.GroupId)
            {
                output.Line($"stored {stored.Key.Partition} {stored.Value}");
            }
        }

        // Continue every key after the highest sequence number in the journal (acknowledged or not: a journaled event
        // is kept, and the keys' sequences must stay one apart).
        long[] next = JournalScan.Read(topic, TimeSpan.FromSeconds(60)).LastSeqPerKey().Select(s => s + 1).ToArray();
        for (int key = 0; key < next.Length; key++)
        {
            output.Line($"resume {key} {next[key]}");
        }

        var group = new ConsumerGroup<CrashEvent>(topic, new ConsumerGroupOptions { GroupId = CrashTopic.GroupId, ReadJournaledOnly = journaledOnly });
        group.Join(new CheckingHandler(topic, journaledOnly, output));
        var monitor = new Thread(() => WatchCommits(topic, group, output)) { IsBackground = true, Name = "commit-monitor" };
        monitor.Start();
        return RunWriters(topic, CrashTopic.Writers, w => Write(topic, w, next, output), group, output);
    }

    private static void Write(Topic<CrashEvent> topic, int writer, long[] next, Output output)
    {
        long[] keys = Enumerable.Range(0, CrashTopic.Keys).Where(k => k % CrashTopic.Writers == writer).Select(k => (long)k).ToArray();
        var published = new (PublishResult Result, CrashEvent Event)[Burst];
        var acks = new System.Text.StringBuilder();
        int turn = 0;
        while (true)
        {
            for (int i = 0; i < Burst; i++)
            {
                long key = keys[turn++ % keys.Length];
                CrashEvent e = CrashEvent.Create(key, next[key]++);
                published[i] = (topic.Publish(key, e), e);
            }

            acks.Clear();
            foreach ((PublishResult result, CrashEvent e) in published)
            {
                try
                {
                    if (!topic.WaitAcknowledged(result, AckTimeout))
                    {
                        output.Line($"error offset {result.Partition} {result.Offset} not acknowledged in {AckTimeout}");
                        return;
                    }
                }
                catch (Exception ex)
                {
                    output.Write(acks.ToString());
                    output.Line($"fault {Describe(ex)}");
                    return;
                }

                acks.Append($"ack {result.Partition} {result.Offset} {e.Key} {e.Seq}\n");
            }

            output.Write(acks.ToString());
            Thread.Sleep(PauseMilliseconds);
        }
    }

    private static void WatchCommits(Topic<CrashEvent> topic, ConsumerGroup<CrashEvent> group, Output output)
    {
        long[] seen = new long[topic.PartitionCount];
        while (true)
        {
            for (int p = 0; p < seen.Length; p++)
            {
                long committed = group.GetCommittedOffset(topic.Name, p);
                if (committed != seen[p])
                {
                    seen[p] = committed;
                    output.Line($"commit {p} {committed}");
                }
            }

            Thread.Sleep(5);
        }
    }
}
