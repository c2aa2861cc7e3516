namespace HotPath.Tests.Readme;

/// <summary>
/// The quick start in README.md and in the HotPath package's README is the marked region of QuickStart.cs, which this
/// project compiles and <see cref="QuickStartTests"/> runs: editing one without the other fails here.
/// </summary>
public sealed class ReadmeQuickStartTests
{
    public static TheoryData<string> Readmes => ["Readme/README.md", "Readme/src/HotPath/README.md"];

    [Theory]
    [MemberData(nameof(Readmes))]
    public void FencedBlockAfterMarker_EachReadme_EqualsTheCompiledRegionOfQuickStart(string readme)
    {
        IReadOnlyList<string> compiled = ReadmeBlocks.Region(ReadmeBlocks.Resource("Readme/QuickStart.cs"));

        IReadOnlyList<string> documented = ReadmeBlocks.FencedBlockAfterMarker(ReadmeBlocks.Resource(readme));

        Assert.True(compiled.Count > 20, $"the region holds {compiled.Count} lines");
        for (int i = 0; i < Math.Max(compiled.Count, documented.Count); i++)
        {
            string? inReadme = i < documented.Count ? documented[i] : null;
            string? inSource = i < compiled.Count ? compiled[i] : null;
            Assert.True(inReadme == inSource, $"{readme}, quick start line {i + 1}:\n  README:        {inReadme ?? "<missing>"}\n  QuickStart.cs: {inSource ?? "<missing>"}");
        }
    }

    [Fact]
    public void FencedBlockAfterMarker_OneCharacterEdited_DiffersFromTheRegion()
    {
        string readme = ReadmeBlocks.Resource("Readme/README.md");
        string edited = readme.Replace("Quantity: 3", "Quantity: 4", StringComparison.Ordinal);

        IReadOnlyList<string> compiled = ReadmeBlocks.Region(ReadmeBlocks.Resource("Readme/QuickStart.cs"));

        Assert.NotEqual(readme, edited);
        Assert.Equal(compiled, ReadmeBlocks.FencedBlockAfterMarker(readme));
        Assert.NotEqual(compiled, ReadmeBlocks.FencedBlockAfterMarker(edited));
    }

    [Fact]
    public void FencedBlockAfterMarker_NoMarker_ThrowsNamingTheMarker()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ReadmeBlocks.FencedBlockAfterMarker("# Title\n```csharp\nint x;\n```\n"));

        Assert.Contains(ReadmeBlocks.Marker, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FencedBlockAfterMarker_MarkerNotFollowedByFence_ThrowsNamingTheLine()
    {
        string markdown = ReadmeBlocks.Marker + "\nSome text\n```csharp\nint x;\n```\n";

        var error = Assert.Throws<InvalidOperationException>(() => ReadmeBlocks.FencedBlockAfterMarker(markdown));

        Assert.Contains("was 'Some text'", error.Message, StringComparison.Ordinal);
    }
}
