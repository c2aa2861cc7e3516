namespace HotPath.Tests.Readme;

public sealed class QuickStartTests
{
    [Fact]
    public async Task RunAsync_TenThousandOrdersOfThreeUnits_HandlerCountsEveryUnit()
    {
        long units = await QuickStart.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(30_000, units);
    }
}
