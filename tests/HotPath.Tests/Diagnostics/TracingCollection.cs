namespace HotPath.Tests.Diagnostics;

/// <summary>
/// Tests that register an <see cref="System.Diagnostics.ActivityListener"/> on the HotPath source: a listener is
/// process-wide, and would make the allocation tests of other classes pay for spans, so these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing (not parallel)";
}
