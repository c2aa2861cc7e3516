using System.Diagnostics;
using System.Globalization;
using HotPath.Consumers;
using HotPath.CrashChild;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Durability;

/// <summary>
/// Crash tests with real process kills inside transactions: the crash child's transactional mode publishes transactions
/// (most committed, some aborted, with plain events between) to a durable topic until it is killed with SIGKILL at a
/// random moment; the test process then reopens the directory and reads every partition from its start with a
/// read-uncommitted and a read-committed reader.
/// </summary>
/// <remarks>
/// Iterations: 20, or <c>HOTPATH_CRASH_ITERATIONS</c>. The seed is random, or <c>HOTPATH_CRASH_SEED</c>; every failure
/// message starts with it, so a failing run replays (up to the timing of the kills).
/// </remarks>
public sealed class TransactionalCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);
    private static readonly SyncPolicy[] Policies = [SyncPolicy.None, SyncPolicy.Interval, SyncPolicy.EveryBatch];
    private static readonly IsolationLevel[] Isolations = [IsolationLevel.ReadUncommitted, IsolationLevel.ReadCommitted];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Kill_InsideTransactions_KeepsEveryTransactionWholeAcrossPartitionsAndNothingAborted() =>
        Run();

    private void Run()
    {
        int iterations = EnvInt("HOTPATH_CRASH_ITERATIONS") ?? 20;
        int seed = EnvInt("HOTPATH_CRASH_SEED") ?? Random.Shared.Next();
        var random = new Random(seed);
        var acked = new Dictionary<(long Producer, long Txn), int>();
        var started = Stopwatch.StartNew();
        long transactionChecks = 0;
        long eventsRead = 0;
        int presentTransactions = 0;
        int partialTransactions = 0;
        int plainEvents = 0;

        for (int i = 0; i < iterations; i++)
        {
            SyncPolicy sync = Policies[i % Policies.Length];
            int runMs = random.Next(50, 401);
            string context = $"seed {seed} (HOTPATH_CRASH_SEED), iteration {i}, sync {sync}, killed {runMs} ms after ready";

            CrashChildReport report;
            using (CrashChildProcess child = CrashChildProcess.Start(_directory.Path, sync, journaledOnly: false, transactionsRun: i))
            {
                report = child.RunThenKill(runMs, context, StartTimeout).Report;
            }

            foreach ((long producer, long txn, int count) in report.TxnAcks)
            {
                Assert.True(acked.TryAdd((producer, txn), count), $"{context}: producer {producer} txn {txn} acknowledged twice");
            }

            // (b) against every acknowledged transaction so far, in every iteration.
            Views views = Read(_directory.Path, sync, context);
            eventsRead += views.Events;
            plainEvents = views.Plain;
            presentTransactions = views.Transactions.Count;
            partialTransactions = views.Transactions.Values.Count(t => t.Present < t.Count);
            foreach (KeyValuePair<(long Producer, long Txn), int> ack in acked)
            {
                Assert.True(views.Transactions.TryGetValue(ack.Key, out (int Count, int Present) read),
                    $"{context}: acknowledged transaction producer {ack.Key.Producer} txn {ack.Key.Txn} ({ack.Value} events) is missing");
                Assert.True(read.Count == ack.Value && read.Present == ack.Value,
                    $"{context}: acknowledged transaction producer {ack.Key.Producer} txn {ack.Key.Txn} had {ack.Value} events, reads back {read.Present} of {read.Count}");
                transactionChecks++;
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {iterations} kills in {started.Elapsed.TotalSeconds:F1} s; {acked.Count} acknowledged transactions, {transactionChecks} checks of them over the iterations; at the end the journal holds {presentTransactions} transactions ({partialTransactions} partial across partitions) and {plainEvents} plain events; {eventsRead} events read over all reopens (both isolation levels)"));
    }

    /// <summary>What the reopened journal holds: each transaction with its count and how many of its events are there, the plain events, the events read.</summary>
    private sealed record Views(Dictionary<(long Producer, long Txn), (int Count, int Present)> Transactions, int Plain, long Events);

    /// <summary>
    /// Reopens the directory (d: recovery does not throw) and reads every partition from its start at both isolation
    /// levels; checks that both read the same events, every one intact, (a) none of a transaction that was to be aborted,
    /// and (c) every transaction whole: the child sends the even indices to one partition and the odd ones to another, or
    /// all to one, so each partition holds all of its share or none, once, in index order, and a transaction present in
    /// one partition is present in all of its partitions (acknowledged or not: a crash keeps all of it or none).
    /// </summary>
    private static Views Read(string directory, SyncPolicy sync, string context)
    {
        Topic<TxnCrashEvent> topic;
        try
        {
            topic = new Topic<TxnCrashEvent>(CrashTopic.Options(directory, sync));
        }
        catch (Exception e)
        {
            Assert.Fail($"{context}: reopening after the crash threw {e}");
            throw;
        }

        using (topic)
        {
            long events = 0;
            var views = new List<(long Offset, TxnCrashEvent Event)>[CrashTopic.Partitions][];
            for (int p = 0; p < CrashTopic.Partitions; p++)
            {
                views[p] = new List<(long, TxnCrashEvent)>[Isolations.Length];
                for (int v = 0; v < Isolations.Length; v++)
                {
                    views[p][v] = ReadPartition(topic, p, Isolations[v], context);
                    events += views[p][v].Count;
                }

                Assert.True(views[p][0].SequenceEqual(views[p][1]),
                    $"{context}: partition {p}: after recovery read-uncommitted reads {views[p][0].Count} events, read-committed {views[p][1].Count}: {Difference(views[p][0], views[p][1])}");
            }

            var indices = new Dictionary<(long Producer, long Txn), (int Count, List<int> Indices)>();
            var shares = new Dictionary<(long Producer, long Txn, int Partition), List<int>>();
            int plain = 0;
            for (int p = 0; p < CrashTopic.Partitions; p++)
            {
                var lastIndex = new Dictionary<(long, long), int>();
                foreach ((long offset, TxnCrashEvent e) in views[p][1])
                {
                    Assert.True(e.IsIntact, $"{context}: partition {p} offset {offset} is damaged: {e}");
                    Assert.True(e.WillAbort == 0, $"{context}: partition {p} offset {offset} belongs to a transaction that was aborted: {e}");
                    if (e.IsPlain)
                    {
                        plain++;
                        continue;
                    }

                    (long, long) id = (e.Producer, e.Txn);
                    Assert.True(!lastIndex.TryGetValue(id, out int previous) || e.Index > previous,
                        $"{context}: partition {p} offset {offset}: index {e.Index} after index {previous} of the same transaction: {e}");
                    lastIndex[id] = e.Index;
                    if (!indices.TryGetValue(id, out (int Count, List<int> Indices) seen))
                    {
                        seen = (e.Count, []);
                        indices[id] = seen;
                    }

                    Assert.True(seen.Count == e.Count, $"{context}: partition {p} offset {offset}: count {e.Count}, other events of the transaction say {seen.Count}: {e}");
                    seen.Indices.Add(e.Index);
                    if (!shares.TryGetValue((e.Producer, e.Txn, p), out List<int>? share))
                    {
                        share = [];
                        shares[(e.Producer, e.Txn, p)] = share;
                    }

                    share.Add(e.Index);
                }
            }

            foreach (KeyValuePair<(long Producer, long Txn, int Partition), List<int>> share in shares)
            {
                int count = indices[(share.Key.Producer, share.Key.Txn)].Count;
                IEnumerable<int> all = Enumerable.Range(0, count);
                bool whole = share.Value.SequenceEqual(all) || share.Value.SequenceEqual(all.Where(i => i % 2 == 0)) || share.Value.SequenceEqual(all.Where(i => i % 2 == 1));
                Assert.True(whole,
                    $"{context}: producer {share.Key.Producer} txn {share.Key.Txn} is partial in partition {share.Key.Partition}: indices [{string.Join(", ", share.Value)}] of {count}");
            }

            foreach (KeyValuePair<(long Producer, long Txn), (int Count, List<int> Indices)> txn in indices)
            {
                int[] sorted = [.. txn.Value.Indices.Order()];
                Assert.True(sorted.SequenceEqual(Enumerable.Range(0, txn.Value.Count)),
                    $"{context}: producer {txn.Key.Producer} txn {txn.Key.Txn} is partial across partitions: indices [{string.Join(", ", sorted)}] of {txn.Value.Count}");
            }

            return new Views(indices.ToDictionary(t => t.Key, t => (t.Value.Count, t.Value.Indices.Count)), plain, events);
        }
    }

    /// <summary>Reads <paramref name="partition"/> from its start to its end offset at <paramref name="isolation"/>.</summary>
    internal static List<(long Offset, TxnCrashEvent Event)> ReadPartition(Topic<TxnCrashEvent> topic, int partition, IsolationLevel isolation, string context) =>
        PartitionReads.ReadToEnd(topic, partition, isolation, ReadTimeout, context);

    private static string Difference(List<(long Offset, TxnCrashEvent Event)> a, List<(long Offset, TxnCrashEvent Event)> b)
    {
        int i = 0;
        while (i < a.Count && i < b.Count && a[i].Equals(b[i]))
        {
            i++;
        }

        return $"first difference at position {i}: {(i < a.Count ? a[i].ToString() : "end")} vs {(i < b.Count ? b[i].ToString() : "end")}";
    }

    internal static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}
