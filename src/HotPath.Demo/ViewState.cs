namespace HotPath.Demo;

/// <summary>A snapshot for one frame of the live view.</summary>
/// <param name="Title">The first line: topic, partitions, partitioner.</param>
/// <param name="Elapsed">Time since publishing started.</param>
/// <param name="Published">Events published so far.</param>
/// <param name="Planned">Events the run will publish (all orders).</param>
/// <param name="EventsPerSecond">Recent publish rate.</param>
/// <param name="Groups">The groups, in display order.</param>
/// <param name="Log">Recent lines of the run log, oldest first.</param>
internal sealed record ViewState(
    string Title,
    TimeSpan Elapsed,
    long Published,
    long Planned,
    double EventsPerSecond,
    IReadOnlyList<GroupView> Groups,
    IReadOnlyList<string> Log);
