using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;

namespace HotPath.Tests.Workers;

public class WaitStrategyTests
{
    [Fact]
    public void CreateBlocking_SpinsThenYieldsThenAsksToPark()
    {
        WaitStrategy wait = WaitStrategy.CreateBlocking(spinIterations: 2, yieldIterations: 3);
        int iteration = 0;

        bool[] parks = [.. Enumerable.Range(0, 7).Select(_ => wait.Idle(ref iteration))];

        Assert.Equal([false, false, false, false, false, true, true], parks);
        Assert.True(wait.ParksThread);
        Assert.Equal("blocking", wait.Name);
    }

    [Fact]
    public void Yielding_NeverAsksToPark()
    {
        int iteration = 0;

        Assert.All(Enumerable.Range(0, 200), _ => Assert.False(WaitStrategy.Yielding.Idle(ref iteration)));
        Assert.False(WaitStrategy.Yielding.ParksThread);
    }

    [Fact]
    public void Create_NegativeIterations_ThrowNamingTheParameter()
    {
        Assert.Contains("spinIterations must be at least 0, was -1", Assert.Throws<ArgumentOutOfRangeException>(() => WaitStrategy.CreateBlocking(-1, 0)).Message);
        Assert.Contains("yieldIterations must be at least 0, was -2", Assert.Throws<ArgumentOutOfRangeException>(() => WaitStrategy.CreateBlocking(0, -2)).Message);
        Assert.Contains("sleep must be between 0 and 1 second", Assert.Throws<ArgumentOutOfRangeException>(() => WaitStrategy.CreateSpinThenSleep(0, 0, TimeSpan.FromSeconds(2))).Message);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(64, 32)]
    public void Blocking_MembersThatParkAtOnce_AreWokenForEveryTrickledEvent(int spins, int yields)
    {
        // Three groups whose members park as soon as they run dry: each trickled event must wake all three.
        WaitStrategy wait = WaitStrategy.CreateBlocking(spins, yields);
        using var topic = new Topic<long>(new TopicOptions { Name = "trickle", Capacity = 64, PublishMode = PublishMode.SingleWriter, WaitStrategy = wait });
        var seen = new long[3];
        var groups = Enumerable.Range(0, 3).Select(g => new ConsumerGroup<long>(topic, new ConsumerGroupOptions { GroupId = $"g{g}", WaitStrategy = wait })).ToList();
        try
        {
            for (int g = 0; g < 3; g++)
            {
                int index = g;
                groups[g].Join(new CountingHandler(() => Interlocked.Increment(ref seen[index])), "m");
            }

            for (long i = 0; i < 200; i++)
            {
                topic[0].Publish(i);
                long expected = i + 1;
                Assert.True(SpinWait.SpinUntil(() => Enumerable.Range(0, 3).All(k => Volatile.Read(ref seen[k]) == expected), TimeSpan.FromSeconds(10)), $"event {i} did not reach every group");
            }
        }
        finally
        {
            groups.ForEach(g => g.Dispose());
        }
    }

    private sealed class CountingHandler(Action onEvent) : IEventHandler<long>
    {
        public void OnEvent(ref readonly long @event, int partition, long offset, bool endOfBatch) => onEvent();
    }
}
