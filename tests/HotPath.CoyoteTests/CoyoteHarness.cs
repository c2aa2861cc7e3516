using System.Runtime.CompilerServices;
using Microsoft.Coyote;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.SystematicTesting;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Runs one systematic test through Coyote's <see cref="TestingEngine"/>: each iteration runs the test body once
/// under Coyote's scheduler, which picks the interleaving of the controlled threads at every scheduling point
/// (thread start and join, lock, <c>Monitor.Wait</c>/<c>Pulse</c>, <c>Volatile</c>, <c>Interlocked</c>, field access,
/// <c>Thread.Yield</c>/<c>SpinWait</c>). A failing iteration's schedule is saved as a reproducible trace.
/// </summary>
/// <remarks>
/// Knobs (environment variables): <c>HOTPATH_COYOTE_ITERATIONS</c> overrides every test's iteration count;
/// <c>HOTPATH_COYOTE_SEED</c> the seed of the scheduler's random choices (the default is fixed per test, so CI
/// explores the same schedules each run); <c>HOTPATH_COYOTE_REPLAY</c> names a trace file written by a failing run,
/// which the test of that name then replays (one iteration, the failing schedule). See README.md.
/// </remarks>
internal static class CoyoteHarness
{
    public const string IterationsVariable = "HOTPATH_COYOTE_ITERATIONS";
    public const string SeedVariable = "HOTPATH_COYOTE_SEED";
    public const string ReplayVariable = "HOTPATH_COYOTE_REPLAY";
    public const string StrategyVariable = "HOTPATH_COYOTE_STRATEGY";

    /// <summary>
    /// Explores <paramref name="iterations"/> schedules of <paramref name="test"/> and fails with the bug report,
    /// the seed and the path of the reproducible trace when one of them violates an assertion, throws, deadlocks
    /// or never ends (a thread still running after <paramref name="maxSteps"/> scheduling steps is a liveness bug).
    /// <paramref name="variant"/> names a theory's case (its trace file and replay are per case).
    /// </summary>
    public static void Run(Action test, uint iterations, ITestOutputHelper output, bool memoryAccesses = false,
        uint maxSteps = 2_000, Func<Configuration, Configuration>? strategy = null, string variant = "",
        [CallerMemberName] string testName = "")
    {
        string key = variant.Length == 0 ? testName : $"{testName}.{variant}";
        uint count = ReadUInt(IterationsVariable) ?? iterations;
        uint seed = ReadUInt(SeedVariable) ?? StableSeed(testName);
        Configuration configuration = Configuration.Create()
            .WithTestingIterations(count)
            .WithRandomGeneratorSeed(seed)
            // An unfair strategy (priority-based) may starve a thread for maxSteps steps; then the schedule turns
            // fair (random) until 10 x maxSteps. A wait that never ends (a thread spinning for an event that is never
            // published) reaches that bound and is reported, instead of hanging or passing.
            .WithMaxSchedulingSteps(maxSteps)
            .WithFailureOnMaxStepsBoundEnabled()
            // Field loads and stores as scheduling points (the rewriting inserts them): a writer can then be preempted
            // between two fields of one event, which is how a torn read shows up. Off where tearing is not the question:
            // they multiply the steps of every schedule and so thin out the exploration of the interleavings that matter.
            .WithMemoryAccessRaceCheckingEnabled(memoryAccesses)
            .WithPotentialDeadlocksReportedAsBugs()
            .WithTelemetryEnabled(false);
        if (strategy is not null)
        {
            configuration = strategy(configuration);
        }

        configuration = Environment.GetEnvironmentVariable(StrategyVariable) switch
        {
            null or "" => configuration,
            "random" => configuration.WithRandomStrategy(),
            "probabilistic" => configuration.WithProbabilisticStrategy(),
            "pct" => configuration.WithPrioritizationStrategy(isFair: true),
            "delay-bounding" => configuration.WithDelayBoundingStrategy(isFair: true),
            string other => throw new ArgumentException(
                $"{StrategyVariable} must be random, probabilistic, pct or delay-bounding: {StrategyVariable}={other}"),
        };

        string? replay = Environment.GetEnvironmentVariable(ReplayVariable);
        bool replaying = replay is not null && Path.GetFileName(replay).StartsWith(key + ".seed", StringComparison.Ordinal);
        if (replaying)
        {
            configuration = configuration.WithReproducibleTrace(File.ReadAllText(replay!));
        }

        using TestingEngine engine = TestingEngine.Create(configuration, test);
        Assert.True(
            engine.IsTestRewritten() && RewritingEngine.IsAssemblyRewritten(typeof(Topics.TopicOptions).Assembly),
            "the test assembly and HotPath.dll in the test's output must be rewritten by Coyote (the project's CoyoteRewrite target runs after every build)");
        var started = System.Diagnostics.Stopwatch.StartNew();
        engine.Run();
        Microsoft.Coyote.SystematicTesting.TestReport report = engine.TestReport;
        int explored = report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths;
        output.WriteLine(
            $"{key}: {(replaying ? "replayed " + replay : $"{explored} schedules")}, seed {seed}, " +
            $"{report.NumOfFoundBugs} bug(s), max steps {report.MaxExploredFairSteps}, {started.Elapsed.TotalSeconds:F1} s");

        if (report.NumOfFoundBugs == 0)
        {
            Assert.False(replaying, $"replaying {replay} did not reproduce the bug");
            return;
        }

        string trace = Path.Combine(Path.GetTempPath(), $"{key}.seed{seed}.trace.json");
        if (!replaying && !string.IsNullOrEmpty(engine.ReproducibleTrace))
        {
            File.WriteAllText(trace, engine.ReproducibleTrace);
        }

        Assert.Fail(
            $"Coyote found a bug in {key} after {explored} schedule(s) (seed {seed}): {string.Join(" | ", report.BugReports)}\n" +
            $"Replay the failing schedule: {ReplayVariable}={trace} dotnet test tests/HotPath.CoyoteTests -c Release --filter \"FullyQualifiedName~{testName}\"\n" +
            $"Rerun the whole exploration: {SeedVariable}={seed} {IterationsVariable}={count}\n" +
            Tail(engine.ReadableTrace, 40));
    }

    private static uint? ReadUInt(string variable) =>
        uint.TryParse(Environment.GetEnvironmentVariable(variable), out uint value) && value > 0 ? value : null;

    /// <summary>A seed derived from the test's name (FNV-1a): stable across runs and machines.</summary>
    private static uint StableSeed(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }

    private static string Tail(string text, int lines)
    {
        string[] all = text.Split('\n');
        return all.Length <= lines ? text : "...\n" + string.Join('\n', all[^lines..]);
    }
}
