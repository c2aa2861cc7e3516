using System.Reflection;

namespace HotPath.Tests.Readme;

/// <summary>
/// Reads the quick start out of the READMEs and out of <c>QuickStart.cs</c>, all embedded in this assembly (see the
/// project file). A README marks the block with <see cref="Marker"/> on the line before its <c>```csharp</c> fence.
/// </summary>
internal static class ReadmeBlocks
{
    /// <summary>The HTML comment (invisible when rendered) that precedes the quick start's fence in a README.</summary>
    public const string Marker = "<!-- quick-start: tests/HotPath.Tests/Readme/QuickStart.cs (a test keeps them equal) -->";

    public const string RegionStart = "// <quick-start>";
    public const string RegionEnd = "// </quick-start>";

    /// <summary>An embedded file's text, line ends normalised to \n.</summary>
    public static string Resource(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"no embedded resource '{name}' in {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>The lines strictly between <see cref="RegionStart"/> and <see cref="RegionEnd"/>.</summary>
    public static IReadOnlyList<string> Region(string source)
    {
        string[] lines = source.Split('\n');
        int start = Array.IndexOf(lines, RegionStart);
        int end = Array.IndexOf(lines, RegionEnd);
        if (start < 0 || end <= start)
        {
            throw new InvalidOperationException($"the source must hold a line '{RegionStart}' and, after it, a line '{RegionEnd}': start={start}, end={end}");
        }

        return lines[(start + 1)..end];
    }

    /// <summary>The lines inside the <c>```csharp</c> block on the line after <see cref="Marker"/>.</summary>
    public static IReadOnlyList<string> FencedBlockAfterMarker(string markdown)
    {
        string[] lines = markdown.Split('\n');
        int marker = Array.IndexOf(lines, Marker);
        if (marker < 0)
        {
            throw new InvalidOperationException($"the README has no line '{Marker}'");
        }

        if (marker + 1 >= lines.Length || lines[marker + 1] != "```csharp")
        {
            throw new InvalidOperationException($"the line after the quick-start marker must open a block with ```csharp, was '{(marker + 1 < lines.Length ? lines[marker + 1] : "<end of file>")}'");
        }

        int close = Array.IndexOf(lines, "```", marker + 2);
        if (close < 0)
        {
            throw new InvalidOperationException("the quick-start block is never closed with ```");
        }

        return lines[(marker + 2)..close];
    }
}
