using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>The error policy's backoff schedule and the edges of its validation.</summary>
public class ErrorPolicyBackoffTests
{
    private static Topic<TestEvent> CreateTopic() =>
        new(new TopicOptions { Name = "orders", PartitionCount = 1, Capacity = 8 });

    /// <summary>The wait before the second attempt is <c>InitialBackoff</c>, doubled for each further one, never past <c>MaxBackoff</c>.</summary>
    [Fact]
    public void BackoffAfter_SuccessiveAttempts_DoublesFromInitialBackoffUpToMaxBackoff()
    {
        var policy = new ErrorPolicy { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromSeconds(1) };

        int[] attempts = [1, 2, 3, 4, 7, 8, 31, 100, int.MaxValue];
        double[] backoffs = [.. attempts.Select(a => policy.BackoffAfter(a).TotalMilliseconds)];

        Assert.Equal([10, 20, 40, 80, 640, 1000, 1000, 1000, 1000], backoffs);
    }

    /// <summary>A zero initial backoff is valid (retry at once): only a negative one is refused.</summary>
    [Fact]
    public void Constructor_ZeroInitialBackoff_IsAcceptedAndRetriesAtOnce()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "zero-backoff",
            ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.Zero },
        });
        int failuresLeft = 1;
        var handler = new RecordingHandler(1) { ThrowWhen = (_, _, _) => Interlocked.Decrement(ref failuresLeft) >= 0 };
        group.Join(handler.For("m"));

        topic.PublishTo(0, new TestEvent(1));

        Assert.True(handler.WaitForCount(1, TimeSpan.FromSeconds(30)));
        Assert.Equal(1, Assert.Single(group.GetStats()).Retried);
    }

    /// <summary><c>MaxBackoff</c> may be the longest time-out a group takes, inclusive; one millisecond more is refused by name.</summary>
    [Fact]
    public void Constructor_MaxBackoffAtTheLongestTimeout_IsAcceptedAndOneMillisecondMoreIsRefused()
    {
        using var topic = CreateTopic();
        TimeSpan longest = TimeSpan.FromMilliseconds(int.MaxValue);

        using (new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "longest", ErrorPolicy = new ErrorPolicy { MaxBackoff = longest } }))
        {
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroup<TestEvent>(
            topic, new ConsumerGroupOptions { GroupId = "too-long", ErrorPolicy = new ErrorPolicy { MaxBackoff = longest + TimeSpan.FromMilliseconds(1) } }));
        Assert.Equal("MaxBackoff", error.ParamName);
    }

    /// <summary>A dead-letter topic of the wrong type is refused with a message that names the type it was.</summary>
    [Fact]
    public void Constructor_DeadLetterTopicOfAnotherType_MessageNamesTheTypeGiven()
    {
        using var topic = CreateTopic();

        var error = Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "bad-dlq",
            ErrorPolicy = new ErrorPolicy { AfterRetries = ErrorAction.DeadLetter, DeadLetterTopic = "orders.dlq" },
        }));

        Assert.Equal("DeadLetterTopic", error.ParamName);
        Assert.Contains("DeadLetterTopic must be a Topic<DeadLetter<TestEvent>> when AfterRetries is DeadLetter, was String", error.Message);
    }
}
