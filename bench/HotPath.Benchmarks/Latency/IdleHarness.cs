using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using HotPath.Benchmarks.WaitStrategies;
using HotPath.Consumers;
using HotPath.Topics;

namespace HotPath.Benchmarks.Latency;

/// <summary>
/// Idle CPU per wait strategy: a topic with one consumer group of one member and no traffic, for a few seconds;
/// CPU used by the whole process (<see cref="Process.TotalProcessorTime"/> delta) as a percentage of one core. The
/// same measurement with nothing running and with a thread blocked on an empty <see cref="Channel{T}"/> gives the
/// process's own background.
/// </summary>
public static class IdleHarness
{
    /// <summary>Measures every strategy and writes the markdown table to <paramref name="output"/>.</summary>
    /// <param name="seconds">Seconds measured per row (after 0.5 s of settling).</param>
    /// <param name="output">The markdown file to write, or null for standard output only.</param>
    /// <returns>0.</returns>
    public static int Run(double seconds, string? output)
    {
        var rows = new List<(string Name, double Percent)>
        {
            ("nothing running (process background)", Measure(seconds, () => () => { })),
            ("Channel reader blocked in WaitToReadAsync (baseline)", Measure(seconds, ChannelReader)),
        };
        foreach (string strategy in new[] { "BusySpin", "Yielding", "SpinThenSleep", "Blocking" })
        {
            rows.Add(($"HotPath group member, {strategy}", Measure(seconds, () => Group(strategy))));
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Idle CPU: no traffic for {seconds:0.#} s after 0.5 s of settling; whole-process CPU time as % of one core.");
        text.AppendLine();
        text.AppendLine("| Idle waiter | CPU, % of one core |");
        text.AppendLine("|---|---:|");
        foreach ((string name, double percent) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {percent:F2} |");
        }

        Console.WriteLine(text);
        if (output is not null)
        {
            File.WriteAllText(output, text.ToString());
        }

        return 0;
    }

    private static double Measure(double seconds, Func<Action> start)
    {
        Action stop = start();
        try
        {
            Thread.Sleep(500);
            using var process = Process.GetCurrentProcess();
            TimeSpan cpuBefore = process.TotalProcessorTime;
            long wallBefore = Stopwatch.GetTimestamp();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            double wall = Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;
            return cpu / wall * 100;
        }
        finally
        {
            stop();
        }
    }

    private static Action Group(string strategy)
    {
        var topic = new Topic<long>(new TopicOptions { Name = "idle", WaitStrategy = HotPathGroupWait.Named(strategy) });
        var group = new ConsumerGroup<long>(topic, new ConsumerGroupOptions { GroupId = "idle", WaitStrategy = HotPathGroupWait.Named(strategy) });
        group.Join(default(NoOpHandler));
        return () =>
        {
            group.Dispose();
            topic.Dispose();
        };
    }

    private static Action ChannelReader()
    {
        Channel<long> channel = Channel.CreateBounded<long>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var thread = new Thread(() => channel.Reader.WaitToReadAsync().AsTask().Wait()) { IsBackground = true };
        thread.Start();
        return () =>
        {
            channel.Writer.Complete();
            thread.Join();
        };
    }

    private readonly struct NoOpHandler : IEventHandler<long>
    {
        public void OnEvent(ref readonly long @event, int partition, long offset, bool endOfBatch)
        {
        }
    }
}
