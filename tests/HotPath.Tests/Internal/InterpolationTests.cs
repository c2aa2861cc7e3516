using HotPath.Topics;

namespace HotPath.Tests.Internal;

/// <summary>
/// No method of the library that builds an interpolated string may be inlined (<see cref="InterpolationScan"/>): a
/// message is built in a method of its own, marked <c>[MethodImpl(MethodImplOptions.NoInlining)]</c>, so that the hot
/// method calling it keeps a small frame. The batch claim's indexer once built its bounds message inline, and the fill
/// loop zeroed 48 bytes of stack for every event.
/// </summary>
public sealed class InterpolationTests
{
    [Fact]
    public void LibraryMethods_ThatBuildInterpolatedStrings_AreAllNoInlining()
    {
        List<InterpolationScan.Finding> findings = InterpolationScan.Scan(typeof(Topic<>).Assembly);
        Assert.NotEmpty(findings);
        string[] inlinable = [.. findings.Where(f => !f.NoInlining && (f.AggressiveInlining || f.IlBytes <= 100)).Select(f => $"{f.Method} ({f.IlBytes} B)").Order()];

        Assert.True(inlinable.Length == 0, $"{inlinable.Length} methods build interpolated strings and may be inlined:{Environment.NewLine}{string.Join(Environment.NewLine, inlinable)}");
    }
}
