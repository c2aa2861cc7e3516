using System.Diagnostics;
using System.Globalization;
using HotPath.CrashChild;
using HotPath.Durability;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.Tests.Durability;

/// <summary>
/// Crash tests with real process kills: a child process publishes to a durable topic and consumes it with a durable
/// group until it is killed with SIGKILL at a random moment; the test process then reopens the directory and checks
/// what the journal and the offsets store kept.
/// </summary>
/// <remarks>
/// Iterations: 50, or <c>HOTPATH_CRASH_ITERATIONS</c>. The seed is random, or <c>HOTPATH_CRASH_SEED</c>; every failure
/// message starts with it, so a failing run replays (up to the timing of the kills).
/// </remarks>
public sealed class SigkillCrashTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// How far the stored committed offset may lag what the child printed as committed: offsets are persisted every
    /// 10 ms (and an Interval sync forces them every 20 ms here); a crash replays at most the events committed in the
    /// last persistence interval. One second is generous on a loaded 2-core machine.
    /// </summary>
    private static readonly TimeSpan ReplayWindow = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly SyncPolicy[] Policies = [SyncPolicy.None, SyncPolicy.Interval, SyncPolicy.EveryBatch];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Kill_AtRandomMoments_KeepsEveryAcknowledgedEventInOrderAndBoundsTheStoredOffsets()
    {
        int iterations = EnvInt("HOTPATH_CRASH_ITERATIONS") ?? 50;
        int seed = EnvInt("HOTPATH_CRASH_SEED") ?? Random.Shared.Next();
        var random = new Random(seed);
        var acked = new Dictionary<(int Partition, long Offset), (long Key, long Seq)>();
        var started = Stopwatch.StartNew();
        long eventsChecked = 0;
        long journalEvents = 0;
        int tornTails = 0;
        long tornBytes = 0;
        long maxReplayEvents = 0;
        double maxReplayMs = 0;

        for (int i = 0; i < iterations; i++)
        {
            SyncPolicy sync = Policies[i % Policies.Length];
            bool journaledOnly = i / Policies.Length % 2 == 1;
            int runMs = random.Next(50, 401);
            string context = $"seed {seed} (HOTPATH_CRASH_SEED), iteration {i}, sync {sync}, journaled-only {journaledOnly}, killed {runMs} ms after ready";

            CrashChildReport report;
            long killedAt;
            using (CrashChildProcess child = CrashChildProcess.Start(_directory.Path, sync, journaledOnly))
            {
                (report, killedAt) = child.RunThenKill(runMs, context, StartTimeout);
            }

            foreach ((int p, long offset, long key, long seq) in report.Acks)
            {
                if (acked.TryGetValue((p, offset), out (long Key, long Seq) before))
                {
                    Assert.Fail($"{context}: partition {p} offset {offset} acknowledged twice: key {before.Key} seq {before.Seq}, then key {key} seq {seq}");
                }

                acked[(p, offset)] = (key, seq);
            }

            // (a), (b), (d), (e): every acknowledged event so far, in every iteration.
            CrashJournalCheck.Result result = CrashJournalCheck.Verify(_directory.Path, sync, acked, context);
            eventsChecked += acked.Count;
            journalEvents = result.Events;
            if (result.Recovery.TruncatedBytes > 0)
            {
                tornTails++;
                tornBytes += result.Recovery.TruncatedBytes;
            }

            // (c) The stored committed offsets.
            for (int p = 0; p < CrashTopic.Partitions; p++)
            {
                // No stored offset yet: the group resumes at the journal's start, as if 0 were stored.
                long stored = result.Recovery.GroupOffsets.GetValueOrDefault((CrashTopic.GroupId, p), 0);
                long printed = report.Commits.Where(c => c.Partition == p).Select(c => c.Offset)
                    .Append(report.Stored.GetValueOrDefault(p, 0)).Max();
                long cutoff = killedAt - (long)(ReplayWindow.TotalSeconds * Stopwatch.Frequency);
                long printedBeforeWindow = report.Commits.Where(c => c.Partition == p && c.Timestamp <= cutoff).Select(c => c.Offset)
                    .Append(report.Stored.GetValueOrDefault(p, 0)).Max();
                Assert.True(stored <= result.Ends[p], $"{context}: partition {p} stored offset {stored} is past the journal end {result.Ends[p]}");
                Assert.True(stored <= printed, $"{context}: partition {p} stored offset {stored} is past every committed offset the child printed (highest {printed})");
                Assert.True(stored >= printedBeforeWindow,
                    $"{context}: partition {p} stored offset {stored} is below {printedBeforeWindow}, printed as committed more than {ReplayWindow.TotalMilliseconds} ms before the kill");
                maxReplayEvents = Math.Max(maxReplayEvents, printed - stored);
                (long Timestamp, int, long)? firstUnstored = report.Commits.FirstOrDefault(c => c.Partition == p && c.Offset > stored);
                if (firstUnstored is { Timestamp: > 0 } unstored)
                {
                    maxReplayMs = Math.Max(maxReplayMs, (killedAt - unstored.Timestamp) * 1000.0 / Stopwatch.Frequency);
                }
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {iterations} kills in {started.Elapsed.TotalSeconds:F1} s; {acked.Count} acknowledged events, {eventsChecked} checks of them over the iterations; journal holds {journalEvents} events; torn tails reported {tornTails} ({tornBytes} bytes); max replay window {maxReplayEvents} events, {maxReplayMs:F1} ms"));
    }

    [Fact]
    public void Open_WhileAnotherProcessHoldsTheDirectory_ThrowsAJournalExceptionNamingTheLock()
    {
        using (CrashChildProcess child = CrashChildProcess.Start(_directory.Path, SyncPolicy.None, journaledOnly: false))
        {
            Assert.True(child.WaitForLine(l => l == "ready", StartTimeout) == "ready", child.Describe());
            var e = Assert.Throws<JournalException>(() => new Topic<CrashEvent>(CrashTopic.Options(_directory.Path, SyncPolicy.None)));
            Assert.Equal(TopicDirectory.LockFileName, Path.GetFileName(e.Path));
            Assert.Contains("lock", e.Message, StringComparison.Ordinal);
            Assert.Contains(child.Id.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
            Assert.False(child.HasExited, child.Describe());
            child.Kill();
        }

        // The kernel released the dead holder's lock: the directory opens and recovers.
        using var reopened = new Topic<CrashEvent>(CrashTopic.Options(_directory.Path, SyncPolicy.None));
        Assert.False(reopened.Recovery!.IsNew);
    }

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}
