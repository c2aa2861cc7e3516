using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>Bad input is refused at the entry point, naming the parameter, the rule and the value.</summary>
public class InputValidationTests
{
    private static Topic<TestEvent> CreateTopic() =>
        new(new TopicOptions { Name = "orders", PartitionCount = 1, Capacity = 8 });

    private static ConsumerGroupOptions Valid => new() { GroupId = "g" };

    public static TheoryData<string, ConsumerGroupOptions, string> BadOptions => new()
    {
        { "CommitMode out of range", Valid with { CommitMode = (CommitMode)5 }, "CommitMode" },
        { "AutoOffsetReset out of range", Valid with { AutoOffsetReset = (OffsetReset)7 }, "AutoOffsetReset" },
        { "Protocol out of range", Valid with { Protocol = (RebalanceProtocol)3 }, "Protocol" },
        { "AfterRetries out of range", Valid with { ErrorPolicy = new ErrorPolicy { AfterRetries = (ErrorAction)9 } }, "AfterRetries" },
        { "RebalanceTimeout too long", Valid with { RebalanceTimeout = TimeSpan.MaxValue }, "RebalanceTimeout" },
        { "SessionTimeout too long", Valid with { SessionTimeout = TimeSpan.MaxValue }, "SessionTimeout" },
        { "ShutdownTimeout too long", Valid with { ShutdownTimeout = TimeSpan.MaxValue }, "ShutdownTimeout" },
        { "MaxBackoff too long", Valid with { ErrorPolicy = new ErrorPolicy { MaxBackoff = TimeSpan.MaxValue } }, "MaxBackoff" },
        { "InitialBackoff negative", Valid with { ErrorPolicy = new ErrorPolicy { InitialBackoff = TimeSpan.FromMilliseconds(-1) } }, "InitialBackoff" },
        { "MaxAttempts zero", Valid with { ErrorPolicy = new ErrorPolicy { MaxAttempts = 0 } }, "MaxAttempts" },
        { "RebalanceTimeout zero", Valid with { RebalanceTimeout = TimeSpan.Zero }, "RebalanceTimeout" },
        { "SessionTimeout below 10 ms", Valid with { SessionTimeout = TimeSpan.FromMilliseconds(9) }, "SessionTimeout" },
        { "ShutdownTimeout negative", Valid with { ShutdownTimeout = TimeSpan.FromMilliseconds(-1) }, "ShutdownTimeout" },
        { "MaxBatchSize zero", Valid with { MaxBatchSize = 0 }, "MaxBatchSize" },
        { "CoalesceBelow negative", Valid with { CoalesceBelow = -1 }, "CoalesceBelow" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Constructor_OptionOutOfRange_ThrowsNamingOptionRuleAndValue(string scenario, ConsumerGroupOptions options, string parameter)
    {
        using var topic = CreateTopic();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroup<TestEvent>(topic, options));

        Assert.True(parameter == ex.ParamName, $"{scenario}: ParamName {ex.ParamName}");
        Assert.Contains(parameter, ex.Message);
        Assert.Contains("must", ex.Message);
        Assert.Contains("was ", ex.Message);
        // Nothing stays registered: the ring takes more than its capacity with no reader.
        for (int i = 0; i <= topic.Capacity; i++)
        {
            Assert.True(topic.TryPublishTo(0, new TestEvent(i), out _));
        }
    }

    [Fact]
    public void Constructor_NullTopic_ThrowsArgumentNullNamingTopic()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>((Topic<TestEvent>)null!, Valid));

        Assert.Equal("topic", ex.ParamName);
    }

    [Fact]
    public void Constructor_NullOptions_ThrowsArgumentNullNamingOptions()
    {
        using var topic = CreateTopic();

        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>(topic, null!));

        Assert.Equal("options", ex.ParamName);
    }

    public static TheoryData<string, Func<ConsumerGroup<TestEvent>, object>> NullHandlerJoins => new()
    {
        { "Join", g => g.Join((IEventHandler<TestEvent>)null!) },
        { "JoinBatch", g => g.JoinBatch((IBatchHandler<TestEvent>)null!) },
        { "Join (async handler)", g => g.Join((IAsyncEventHandler<TestEvent>)null!) },
    };

    [Theory]
    [MemberData(nameof(NullHandlerJoins))]
    public void Join_NullHandler_ThrowsArgumentNullAndAddsNoMember(string method, Func<ConsumerGroup<TestEvent>, object> join)
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Assert.Throws<ArgumentNullException>(() => join(group));

        Assert.True(ex.ParamName == "handler", $"{method}: ParamName {ex.ParamName}");
        Assert.Empty(group.Members);
    }

    [Theory]
    [InlineData("")]
    public void Join_EmptyMemberId_ThrowsArgumentNamingMemberId(string memberId)
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Assert.Throws<ArgumentException>(() => group.Join(new ActionHandler((_, _, _, _) => { }), memberId));

        Assert.Equal("memberId", ex.ParamName);
        Assert.Empty(group.Members);
    }

    public static TheoryData<string, Action<ConsumerGroup<TestEvent>>> DisposedGroupCalls => new()
    {
        { "Seek", g => g.Seek("orders", 0, 0) },
        { "Commit", g => g.Commit("orders", 0, 0) },
        { "Join", g => g.Join(new ActionHandler((_, _, _, _) => { })) },
    };

    [Theory]
    [MemberData(nameof(DisposedGroupCalls))]
    public void Call_DisposedGroup_ThrowsObjectDisposed(string method, Action<ConsumerGroup<TestEvent>> call)
    {
        using var topic = CreateTopic();
        var group = new ConsumerGroup<TestEvent>(topic, Valid);
        group.Dispose();

        var ex = Record.Exception(() => call(group));

        Assert.True(ex is ObjectDisposedException, $"{method}: {ex?.GetType().Name}: {ex?.Message}");
    }

    public static TheoryData<string, Action<ConsumerGroup<TestEvent>>> NullTopicCalls => new()
    {
        { "Seek", g => g.Seek(null!, 0, 0) },
        { "Commit", g => g.Commit(null!, 0, 0) },
        { "GetCommittedOffset", g => g.GetCommittedOffset(null!, 0) },
        { "GetLag", g => g.GetLag(null!, 0) },
        { "GetOwner", g => g.GetOwner(null!, 0) },
    };

    [Theory]
    [MemberData(nameof(NullTopicCalls))]
    public void Call_NullTopicName_ThrowsArgumentNullNamingTopic(string method, Action<ConsumerGroup<TestEvent>> call)
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Record.Exception(() => call(group));

        Assert.True(ex is ArgumentNullException { ParamName: "topic" }, $"{method}: {ex?.GetType().Name}: {ex?.Message}");
    }

    [Fact]
    public void CreateReader_OffsetResetOutOfRange_ThrowsNamingResetAndLeavesNoReader()
    {
        using var topic = CreateTopic();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => topic.CreateReader(0, (OffsetReset)4));

        Assert.Equal("reset", ex.ParamName);
        Assert.Contains("was 4", ex.Message);
        for (int i = 0; i <= topic.Capacity; i++)
        {
            Assert.True(topic.TryPublishTo(0, new TestEvent(i), out _));
        }
    }

    public static TheoryData<string, Action<PartitionReader<TestEvent>>> DisposedReaderCalls => new()
    {
        { "Poll", r => { var h = new CollectingHandler(); r.Poll(ref h); } },
        { "TryRead", r => r.TryRead(out _, out _) },
        { "Commit", r => r.Commit() },
        { "Seek", r => r.Seek(0) },
    };

    [Theory]
    [MemberData(nameof(DisposedReaderCalls))]
    public void Call_DisposedReader_ThrowsObjectDisposed(string method, Action<PartitionReader<TestEvent>> call)
    {
        using var topic = CreateTopic();
        var reader = topic.CreateReader(0);
        reader.Dispose();

        var ex = Record.Exception(() => call(reader));

        Assert.True(ex is ObjectDisposedException, $"{method}: {ex?.GetType().Name}: {ex?.Message}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Poll_MaxEventsBelowOne_ThrowsNamingMaxEventsAndValue(int maxEvents)
    {
        using var topic = CreateTopic();
        using var reader = topic.CreateReader(0);
        var handler = new CollectingHandler();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => reader.Poll(ref handler, maxEvents));

        Assert.Equal("maxEvents", ex.ParamName);
        Assert.Contains($"was {maxEvents}", ex.Message);
    }

    [Fact]
    public void Seek_OutsideRetainedWindow_ThrowsNamingOffsetAndWindow()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => group.Seek("orders", 0, 5));

        Assert.Equal("offset", ex.ParamName);
        Assert.Contains("[0, 0]", ex.Message);
        Assert.Contains("was 5", ex.Message);
    }
}
