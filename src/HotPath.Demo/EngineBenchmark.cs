namespace HotPath.Demo;

/// <summary>
/// The engine's throughput as its benchmark measured it: README's Performance table (the full run at commit
/// <see cref="Commit"/> on a shared 2-core virtual machine). The demo quotes it beside its own rate under
/// <c>--rate max</c>; it never measures it. A test keeps these figures equal to the README's.
/// </summary>
internal static class EngineBenchmark
{
    /// <summary>1 writer to 1 consumer group, 8-byte events, <c>Publish</c> per event.</summary>
    public const string OneGroup = "105.9 M/s";

    /// <summary>1 writer to 3 consumer groups (fan-out), 8-byte events.</summary>
    public const string ThreeGroups = "83.5 M/s";

    /// <summary>The commit of the benchmark run.</summary>
    public const string Commit = "ea79c1e";
}
