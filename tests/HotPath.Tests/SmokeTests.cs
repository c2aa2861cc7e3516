namespace HotPath.Tests;

public class SmokeTests
{
    [Fact]
    public void Build_Runs() => Assert.True(true);
}
