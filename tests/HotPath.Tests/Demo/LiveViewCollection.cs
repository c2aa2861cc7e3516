namespace HotPath.Tests.Demo;

/// <summary>
/// The live view's end-to-end test counts the frames a live demo run draws (one per 50 ms on a thread-pool timer while
/// publishing lasts). Beside the other test classes, which start together and tie up pool threads, the timer's
/// continuations can run late enough that a run draws 4 frames in 2 s (seen once in CI); alone it draws 11-15, and
/// 11-28 with two busy loops taking both cores. So these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveViewCollection
{
    public const string Name = "Demo live view (not parallel)";
}
