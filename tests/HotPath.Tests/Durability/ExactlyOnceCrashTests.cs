using System.Diagnostics;
using System.Globalization;
using HotPath.Consumers;
using HotPath.CrashChild;
using HotPath.Durability;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Durability;

/// <summary>
/// Crash tests of exactly-once processing across restarts: the crash child's exactly-once mode runs a transactional
/// member that turns each event of a durable input topic into one event of a durable output topic, committing its input
/// offsets in the same transaction, until it is killed with SIGKILL at a random moment; each next run resumes where the
/// group's stored offsets say. After every kill the test reopens both topics and checks the output against the input.
/// </summary>
/// <remarks>
/// Iterations: 12, or <c>HOTPATH_CRASH_ITERATIONS</c>. The seed is random, or <c>HOTPATH_CRASH_SEED</c>; every failure
/// message starts with it.
/// </remarks>
public sealed class ExactlyOnceCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly SyncPolicy[] Policies = [SyncPolicy.None, SyncPolicy.Interval, SyncPolicy.EveryBatch];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Kill_DuringConsumeTransformProduce_EveryCommittedInputHasExactlyOneOutputAndNoOutputOutlivesItsInput()
    {
        int iterations = TransactionalCrashTests.EnvInt("HOTPATH_CRASH_ITERATIONS") ?? 12;
        int seed = TransactionalCrashTests.EnvInt("HOTPATH_CRASH_SEED") ?? Random.Shared.Next();
        var random = new Random(seed);
        var started = Stopwatch.StartNew();
        long lastCommitted = 0;
        int resumes = 0;
        long outputs = 0;

        for (int i = 0; i < iterations; i++)
        {
            SyncPolicy sync = Policies[i % Policies.Length];
            int runMs = random.Next(50, 401);
            string context = $"seed {seed} (HOTPATH_CRASH_SEED), iteration {i}, sync {sync}, killed {runMs} ms after ready";
            using (CrashChildProcess child = CrashChildProcess.Start(_directory.Path, sync, journaledOnly: false, transactionsRun: i, exactlyOnce: true))
            {
                CrashChildReport report = child.RunThenKill(runMs, context, StartTimeout).Report;
            }

            (long committed, long produced) = Check(_directory.Path, sync, context);
            resumes += committed > lastCommitted && lastCommitted > 0 ? 1 : 0;
            Assert.True(committed >= lastCommitted, $"{context}: the group's stored offsets went back from {lastCommitted} to {committed} input events");
            lastCommitted = committed;
            outputs = produced;
        }

        Assert.True(lastCommitted > 0, $"seed {seed}: in {iterations} runs the group never stored an offset: nothing was checked");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {iterations} kills in {started.Elapsed.TotalSeconds:F1} s; at the end {lastCommitted} input offsets committed with {outputs} outputs, each once; the group moved on after {resumes} restarts"));
    }

    /// <summary>
    /// Reopens both topics and checks: every output event intact and the forward of an existing input event; no input
    /// offset forwarded twice; every output's input below the group's stored offset (its transaction committed the
    /// offsets with it); every input event below the stored offset forwarded exactly once. Returns the committed input
    /// offsets (summed over partitions) and the output count.
    /// </summary>
    private static (long Committed, long Outputs) Check(string directory, SyncPolicy sync, string context)
    {
        using Topic<TxnCrashEvent> input = Open(ExactlyOnceMode.Options(directory, ExactlyOnceMode.InputName, sync), context);
        using Topic<TxnCrashEvent> outputTopic = Open(ExactlyOnceMode.Options(directory, ExactlyOnceMode.OutputName, sync), context);
        long[] committed = new long[ExactlyOnceMode.InputPartitions];
        for (int p = 0; p < committed.Length; p++)
        {
            committed[p] = input.Recovery!.GroupOffsets.TryGetValue((ExactlyOnceMode.GroupId, p), out long offset) ? offset : 0;
        }

        var inputs = new Dictionary<(int Partition, long Offset), TxnCrashEvent>();
        for (int p = 0; p < ExactlyOnceMode.InputPartitions; p++)
        {
            foreach ((long offset, TxnCrashEvent e) in TransactionalCrashTests.ReadPartition(input, p, IsolationLevel.ReadCommitted, context))
            {
                Assert.True(e.IsIntact && e.IsPlain, $"{context}: input partition {p} offset {offset} is damaged: {e}");
                inputs[(p, offset)] = e;
            }
        }

        var forwarded = new Dictionary<(int Partition, long Offset), (int Partition, long Offset)>();
        for (int p = 0; p < ExactlyOnceMode.OutputPartitions; p++)
        {
            foreach ((long offset, TxnCrashEvent e) in TransactionalCrashTests.ReadPartition(outputTopic, p, IsolationLevel.ReadCommitted, context))
            {
                var source = ((int)e.Producer, e.Txn);
                Assert.True(e.Equals(ExactlyOnceMode.Forward(source.Item1, source.Item2)), $"{context}: output partition {p} offset {offset} is not a forward: {e}");
                Assert.True(forwarded.TryAdd(source, (p, offset)),
                    $"{context}: input partition {source.Item1} offset {source.Item2} was forwarded twice: output {forwarded.GetValueOrDefault(source)} and ({p}, {offset})");
                Assert.True(inputs.ContainsKey(source), $"{context}: output ({p}, {offset}) forwards input {source}, which the input topic does not hold");
                Assert.True(source.Item2 < committed[source.Item1],
                    $"{context}: output ({p}, {offset}) forwards input {source}, at or past the group's stored offset {committed[source.Item1]}: its transaction's offsets were lost");
            }
        }

        foreach (((int partition, long offset), TxnCrashEvent e) in inputs)
        {
            if (offset < committed[partition])
            {
                Assert.True(forwarded.ContainsKey((partition, offset)),
                    $"{context}: input partition {partition} offset {offset} ({e}) is below the group's stored offset {committed[partition]} and was never forwarded: lost; recovery: {outputTopic.Recovery} / {input.Recovery}");
            }
        }

        return (committed.Sum(), forwarded.Count);
    }

    private static Topic<TxnCrashEvent> Open(TopicOptions options, string context)
    {
        try
        {
            return new Topic<TxnCrashEvent>(options);
        }
        catch (Exception e)
        {
            Assert.Fail($"{context}: reopening '{options.Name}' after the crash threw {e}");
            throw;
        }
    }
}
