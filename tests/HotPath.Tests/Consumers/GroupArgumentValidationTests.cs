using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The group's argument and option checks: what is refused is refused with the parameter, the rule and the value in
/// the message, and the values at the edge of each documented range are accepted.
/// </summary>
public sealed class GroupArgumentValidationTests
{
    /// <summary>The longest time-out the options document: <see cref="int.MaxValue"/> milliseconds.</summary>
    private static readonly TimeSpan LongestTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    private static ConsumerGroupOptions Valid => new() { GroupId = "checks" };

    private static Topic<TestEvent> CreateTopic(string name = "orders", int partitions = 1) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 8 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>A null topic list is refused as such, not with a NullReferenceException.</summary>
    [Fact]
    public void Constructor_NullTopicList_ThrowsArgumentNullNamingTopics()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>((IReadOnlyList<Topic<TestEvent>>)null!, Valid));

        Assert.Equal("topics", ex.ParamName);
    }

    /// <summary>An empty topic list is refused: the message names the list, the rule and the count.</summary>
    [Fact]
    public void Constructor_EmptyTopicList_ThrowsNamingTopicsRuleAndCount()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerGroup<TestEvent>(Array.Empty<Topic<TestEvent>>(), Valid));

        Assert.Equal("topics", ex.ParamName);
        Assert.Contains("at least one topic", ex.Message);
        Assert.Contains("was 0", ex.Message);
    }

    /// <summary>A null entry in the topic list is refused with its index.</summary>
    [Fact]
    public void Constructor_NullTopicInList_MessageNamesItsIndex()
    {
        using var topic = CreateTopic();

        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>([topic, null!], Valid));

        Assert.Equal("topics", ex.ParamName);
        Assert.Contains("topics[1]", ex.Message);
    }

    /// <summary>Two topics of the same name are refused, and the message names the topic.</summary>
    [Fact]
    public void Constructor_TwoTopicsWithOneName_MessageNamesTheTopic()
    {
        using var first = CreateTopic("orders");
        using var second = CreateTopic("orders");

        var ex = Assert.Throws<ArgumentException>(() => new ConsumerGroup<TestEvent>([first, second], Valid));

        Assert.Equal("topics", ex.ParamName);
        Assert.Contains("distinct", ex.Message);
        Assert.Contains("'orders' appears twice", ex.Message);
    }

    public static TheoryData<string, ConsumerGroupOptions> NullOptionMembers => new()
    {
        { nameof(ConsumerGroupOptions.Assignor), Valid with { Assignor = null! } },
        { nameof(ConsumerGroupOptions.WaitStrategy), Valid with { WaitStrategy = null! } },
        { nameof(ConsumerGroupOptions.ErrorPolicy), Valid with { ErrorPolicy = null! } },
    };

    /// <summary>A null assignor, wait strategy or error policy is refused when the group is created, naming the option.</summary>
    [Theory]
    [MemberData(nameof(NullOptionMembers))]
    public void Constructor_NullOptionMember_ThrowsArgumentNullNamingIt(string option, ConsumerGroupOptions options)
    {
        using var topic = CreateTopic();

        var ex = Assert.Throws<ArgumentNullException>(() => new ConsumerGroup<TestEvent>(topic, options));

        Assert.Equal(option, ex.ParamName);
        Assert.Contains($"{option} must not be null", ex.Message);
    }

    /// <summary>An empty core list is refused (null, not empty, means no pinning).</summary>
    [Fact]
    public void Validate_EmptyCores_ThrowsNamingCoresAndTheRule()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Valid with { Cores = [] }).Validate());

        Assert.Equal("Cores", ex.ParamName);
        Assert.Contains("at least one core", ex.Message);
    }

    /// <summary>A core outside 0..ProcessorCount-1 is refused; the message gives the valid range and the value.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Validate_CoreOutsideTheMachine_ThrowsNamingRangeAndValue(bool belowZero)
    {
        int core = belowZero ? -1 : Environment.ProcessorCount;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => (Valid with { Cores = [core] }).Validate());

        Assert.Equal("Cores", ex.ParamName);
        Assert.Contains($"from 0 to {Environment.ProcessorCount - 1}", ex.Message);
        Assert.Contains($"was {core}", ex.Message);
    }

    /// <summary>The first and the last core of the machine are valid pinning targets.</summary>
    [Fact]
    public void Validate_FirstAndLastCore_Accepted()
    {
        (Valid with { Cores = [0] }).Validate();
        (Valid with { Cores = [Environment.ProcessorCount - 1] }).Validate();
    }

    public static TheoryData<string, ConsumerGroupOptions> EdgeOfRangeOptions => new()
    {
        { "RebalanceTimeout at the longest", Valid with { RebalanceTimeout = LongestTimeout } },
        { "SessionTimeout at 10 ms", Valid with { SessionTimeout = TimeSpan.FromMilliseconds(10) } },
        { "SessionTimeout at the longest", Valid with { SessionTimeout = LongestTimeout } },
        { "MaxPollInterval at 10 ms", Valid with { MaxPollInterval = TimeSpan.FromMilliseconds(10) } },
        { "MaxPollInterval at the longest", Valid with { MaxPollInterval = LongestTimeout } },
        { "ShutdownTimeout zero", Valid with { ShutdownTimeout = TimeSpan.Zero } },
        { "ShutdownTimeout at the longest", Valid with { ShutdownTimeout = LongestTimeout } },
    };

    /// <summary>Each time-out accepts both ends of its documented range.</summary>
    [Theory]
    [MemberData(nameof(EdgeOfRangeOptions))]
    public void Validate_TimeoutAtTheEdgeOfItsRange_Accepted(string scenario, ConsumerGroupOptions options)
    {
        Exception? ex = Record.Exception(options.Validate);

        Assert.True(ex is null, $"{scenario}: {ex?.Message}");
    }

    /// <summary>An empty member id is refused with the rule and the value.</summary>
    [Fact]
    public void Join_EmptyMemberId_MessageGivesRuleAndValue()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Assert.Throws<ArgumentException>(() => group.Join(Idle(), memberId: ""));

        Assert.Equal("memberId", ex.ParamName);
        Assert.Contains("must be null (for a generated id) or not empty", ex.Message);
        Assert.Contains("was ''", ex.Message);
    }

    /// <summary>An empty group instance id is refused, naming it, and adds no member.</summary>
    [Fact]
    public void Join_EmptyGroupInstanceId_ThrowsNamingItAndAddsNoMember()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Assert.Throws<ArgumentException>(() => group.Join(Idle(), memberId: null, groupInstanceId: ""));

        Assert.Equal("groupInstanceId", ex.ParamName);
        Assert.Contains("static membership", ex.Message);
        Assert.Contains("was ''", ex.Message);
        Assert.Empty(group.Members);
    }

    /// <summary>A member id already in the group is refused, naming the id and the group; the group keeps one member.</summary>
    [Fact]
    public void Join_MemberIdTaken_ThrowsNamingIdAndGroupAndAddsNoMember()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);
        GroupMember<TestEvent> first = group.Join(Idle(), memberId: "m1");

        var ex = Assert.Throws<ArgumentException>(() => group.Join(Idle(), memberId: "m1"));

        Assert.Equal("memberId", ex.ParamName);
        Assert.Contains("'m1' is taken", ex.Message);
        Assert.Contains("'checks'", ex.Message);
        Assert.Same(first, Assert.Single(group.Members));
    }

    /// <summary>A call on a disposed group names the group in its ObjectDisposedException.</summary>
    [Fact]
    public void Commit_DisposedGroup_ExceptionNamesTheGroup()
    {
        using var topic = CreateTopic();
        var group = new ConsumerGroup<TestEvent>(topic, Valid with { GroupId = "gone" });
        group.Dispose();

        var ex = Assert.Throws<ObjectDisposedException>(() => group.Commit("orders", 0, 0));

        Assert.Contains("consumer group 'gone'", ex.Message);
    }

    public static TheoryData<string, string, int> UnknownPartitions => new()
    {
        { "partition number past the topic's", "orders", 5 },
        { "topic the group does not read", "payments", 0 },
    };

    /// <summary>A partition the group does not read is refused, naming the partition, the group, the topic and the number.</summary>
    [Theory]
    [MemberData(nameof(UnknownPartitions))]
    public void GetCommittedOffset_PartitionTheGroupDoesNotRead_ThrowsNamingPartitionGroupAndTopic(string scenario, string topicName, int partition)
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);

        var ex = Record.Exception(() => group.GetCommittedOffset(topicName, partition));

        var outOfRange = Assert.IsType<ArgumentOutOfRangeException>(ex);
        Assert.True(outOfRange.ParamName == "partition", $"{scenario}: {outOfRange.ParamName}");
        Assert.Contains("'checks'", outOfRange.Message);
        Assert.Contains($"topic '{topicName}'", outOfRange.Message);
        Assert.Contains($"was {partition}", outOfRange.Message);
    }

    /// <summary>A member prints as its id and state.</summary>
    [Fact]
    public void ToString_Member_GivesIdAndState()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid);
        GroupMember<TestEvent> member = group.Join(Idle(), memberId: "m1");

        Assert.Equal("m1 (Running)", member.ToString());
        member.Leave();
        Assert.Equal("m1 (Stopped)", member.ToString());
    }

    /// <summary>
    /// The rebalance protocol: null follows the assignor (cooperative for cooperative-sticky: the first member gives up
    /// only the partition that moves), and an explicit protocol wins over the assignor's (eager: it gives up both).
    /// </summary>
    [Theory]
    [InlineData(null, 1)]
    [InlineData(RebalanceProtocol.Eager, 2)]
    public void Join_SecondMember_FirstMemberRevokesWhatTheProtocolSays(RebalanceProtocol? protocol, int expectedRevoked)
    {
        using var topic = CreateTopic(partitions: 2);
        var listener = new RecordingListener();
        using var group = new ConsumerGroup<TestEvent>(topic, Valid with
        {
            Assignor = new CooperativeStickyAssignor(),
            Protocol = protocol,
            RebalanceListener = listener,
        });
        group.Join(Idle(), memberId: "m1");

        group.Join(Idle(), memberId: "m2");

        Assert.Equal(expectedRevoked, listener.Calls.Count(c => c.Kind == "revoked" && c.Member == "m1"));
        Assert.Single(group.Assignment["m2"]);
    }
}
