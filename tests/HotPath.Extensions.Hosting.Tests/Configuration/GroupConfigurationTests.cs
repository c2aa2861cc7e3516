using HotPath.Consumers;
using HotPath.Extensions.Hosting.Configuration;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Extensions.Hosting.Tests.Configuration;

public sealed class GroupConfigurationTests
{
    private static readonly Action<HotPathBuilder> Billing = hp =>
    {
        hp.AddTopic<Order>("orders");
        hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
    };

    [Fact]
    public void Read_EveryGroupKey_BindsEachOption()
    {
        Dictionary<string, string?> settings = Group(
            ("Members", "2"), ("DegradedLag", "500"), ("AutoOffsetReset", "Latest"), ("Assignor", "range"), ("Protocol", "Eager"),
            ("CommitMode", "Manual"), ("WaitStrategy", "SpinThenSleep"), ("MaxBatchSize", "64"), ("CoalesceBelow", "0"), ("Cores:0", "0"),
            ("RebalanceTimeout", "00:00:07"), ("SessionTimeout", "00:00:03"), ("MaxPollInterval", "00:01:00"), ("ShutdownTimeout", "00:00:02"),
            ("Lossy", "false"), ("Isolation", "ReadUncommitted"), ("ReadJournaledOnly", "true"), ("DurableOffsets", "false"),
            ("ErrorPolicy:MaxAttempts", "4"), ("ErrorPolicy:InitialBackoff", "00:00:00.002"), ("ErrorPolicy:MaxBackoff", "00:00:00.100"),
            ("ErrorPolicy:AfterRetries", "Skip"));
        using var services = new TestServices(settings, Billing);

        ConsumerGroupOptions options = services.Registry.GetGroup<Order>("billing").Options;

        Assert.Equal(OffsetReset.Latest, options.AutoOffsetReset);
        Assert.IsType<RangeAssignor>(options.Assignor);
        Assert.Equal(RebalanceProtocol.Eager, options.Protocol);
        Assert.Equal(CommitMode.Manual, options.CommitMode);
        Assert.Same(WaitStrategy.SpinThenSleep, options.WaitStrategy);
        Assert.Equal(64, options.MaxBatchSize);
        Assert.Equal(0, options.CoalesceBelow);
        Assert.Equal([0], options.Cores!);
        Assert.Equal(TimeSpan.FromSeconds(7), options.RebalanceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), options.SessionTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MaxPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ShutdownTimeout);
        Assert.False(options.Lossy);
        Assert.Equal(IsolationLevel.ReadUncommitted, options.Isolation);
        Assert.True(options.ReadJournaledOnly);
        Assert.False(options.DurableOffsets);
        Assert.Equal(4, options.ErrorPolicy.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(2), options.ErrorPolicy.InitialBackoff);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ErrorPolicy.MaxBackoff);
        Assert.Equal(ErrorAction.Skip, options.ErrorPolicy.AfterRetries);
        Runtime.IGroupHandle handle = services.Registry.Groups.Single();
        Assert.Equal(2, handle.MemberCount);
        Assert.Equal(500, handle.DegradedLag);
    }

    [Fact]
    public void Read_DeadLetterTopicByName_ResolvesTheTypedTopic()
    {
        Dictionary<string, string?> settings = Group(("ErrorPolicy:AfterRetries", "DeadLetter"), ("ErrorPolicy:DeadLetterTopic", "orders.dlq"));
        using var services = new TestServices(settings, hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<DeadLetter<Order>>("orders.dlq");
            hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
        });

        ConsumerGroupOptions options = services.Registry.GetGroup<Order>("billing").Options;

        Assert.Same(services.Registry.GetTopic<DeadLetter<Order>>("orders.dlq"), options.ErrorPolicy.DeadLetterTopic);
    }

    [Theory]
    [InlineData("Assignor", "sticky", "HotPath:Groups:0:Assignor", "must be one of cooperative-sticky, range, roundrobin, was 'sticky'")]
    [InlineData("CommitMode", "Auto", "HotPath:Groups:0:CommitMode", "must be one of AfterBatch, Manual, was 'Auto'")]
    [InlineData("AutoOffsetReset", "None", "HotPath:Groups:0:AutoOffsetReset", "must be one of Earliest, Latest, was 'None'")]
    [InlineData("Protocol", "Static", "HotPath:Groups:0:Protocol", "must be one of Eager, Cooperative, was 'Static'")]
    [InlineData("Isolation", "Serializable", "HotPath:Groups:0:Isolation", "must be one of ReadCommitted, ReadUncommitted, was 'Serializable'")]
    [InlineData("WaitStrategy", "Spin", "HotPath:Groups:0:WaitStrategy", "must be one of Blocking, SpinThenSleep, Yielding, BusySpin, was 'Spin'")]
    [InlineData("SessionTimeout", "10s", "HotPath:Groups:0:SessionTimeout", "must be a duration such as 00:00:05 ([d.]hh:mm:ss[.fffffff]), was '10s'")]
    [InlineData("SessionTimeout", "00:00:00.001", "HotPath:Groups:0:SessionTimeout", "SessionTimeout must be from 10 ms to")]
    [InlineData("MaxBatchSize", "0", "HotPath:Groups:0:MaxBatchSize", "MaxBatchSize must be at least 1, was 0")]
    [InlineData("Lossy", "yes", "HotPath:Groups:0:Lossy", "must be true or false, was 'yes'")]
    [InlineData("Members", "0", "HotPath:Groups:0:Members", "must be at least 1, was 0")]
    [InlineData("DegradedLag", "-1", "HotPath:Groups:0:DegradedLag", "must be at least 0, was -1")]
    [InlineData("Cores:0", "first", "HotPath:Groups:0:Cores:0", "must be an integer (a core number), was 'first'")]
    [InlineData("Cores:0", "4096", "HotPath:Groups:0:Cores", "Cores must list cores from 0 to")]
    [InlineData("MaxPolInterval", "00:01:00", "HotPath:Groups:0:MaxPolInterval", "unknown key 'MaxPolInterval'")]
    [InlineData("ErrorPolicy:AfterRetries", "Retry", "HotPath:Groups:0:ErrorPolicy:AfterRetries", "must be one of StopMember, Skip, DeadLetter, was 'Retry'")]
    [InlineData("ErrorPolicy:Attempts", "3", "HotPath:Groups:0:ErrorPolicy:Attempts", "unknown key 'Attempts'")]
    [InlineData("ErrorPolicy:MaxAttempts", "0", "HotPath:Groups:0:ErrorPolicy:MaxAttempts", "MaxAttempts must be at least 1, was 0")]
    [InlineData("ErrorPolicy:MaxBackoff", "00:00:00", "HotPath:Groups:0:ErrorPolicy:MaxBackoff", "MaxBackoff must be from InitialBackoff (00:00:00.0010000) to")]
    [InlineData("ErrorPolicy:InitialBackoff", "soon", "HotPath:Groups:0:ErrorPolicy:InitialBackoff", "must be a duration such as 00:00:05")]
    [InlineData("ErrorPolicy:DeadLetterTopic", "", "HotPath:Groups:0:ErrorPolicy:DeadLetterTopic", "must name a topic, was ''")]
    [InlineData("Members", "two", "HotPath:Groups:0:Members", "must be an integer, was 'two'")]
    [InlineData("Topics", "orders", "HotPath:Groups:0:Topics", "must be an array, was the value 'orders'")]
    [InlineData("GroupId", "", "HotPath:Groups:0:GroupId", "must not be empty, was ''")]
    [InlineData("ShutdownTimeout", "-00:00:01", "HotPath:Groups:0:ShutdownTimeout", "ShutdownTimeout must be from 0 to")]
    [InlineData("ErrorPolicy", "skip", "HotPath:Groups:0:ErrorPolicy", "must be a section of keys (MaxAttempts, InitialBackoff, MaxBackoff, AfterRetries, DeadLetterTopic), was the value 'skip'")]
    [InlineData("ErrorPolicy:AfterRetries", "DeadLetter", "HotPath:Groups:0:ErrorPolicy:DeadLetterTopic", "DeadLetterTopic must be a Topic<DeadLetter<Order>> when AfterRetries is DeadLetter, was null")]
    public void Read_BadGroupValue_FailsNamingKeyRuleAndValue(string key, string value, string path, string message)
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Group((key, value)), Billing);

        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GroupIdMissing_FailsAsRequired()
    {
        Dictionary<string, string?> settings = TopicConfigurationTests.Topic();
        settings["HotPath:Groups:0:Topics:0"] = "orders";

        HotPathConfigurationException error = TestServices.ErrorOf(settings, Billing);

        Assert.Equal("HotPath:Groups:0:GroupId", error.Path);
        Assert.EndsWith("is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ConfigurationWinsOverCode_CodeConfigureRunsLast()
    {
        using var services = new TestServices(Group(("Members", "3"), ("MaxBatchSize", "16")), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<Order>("returns");
            hp.AddGroup<Order>("billing").Topics("returns").Members(1)
                .Configure(o => o with { CoalesceBelow = o.MaxBatchSize * 2 })
                .UseHandler(default(NoOpHandler));
        });

        Runtime.IGroupHandle billing = services.Registry.Groups.Single();

        Assert.Equal(3, billing.MemberCount);
        Assert.Equal(32, billing.Options.CoalesceBelow);
        Assert.Equal(["orders"], services.Registry.GetGroup<Order>("billing").Partitions.Select(p => p.Topic).Distinct());
    }

    [Fact]
    public void Read_LossyReadCommitted_FailsNamingIsolation()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Group(("Lossy", "true"), ("Isolation", "ReadCommitted")), Billing);

        Assert.Equal("HotPath:Groups:0:Isolation", error.Path);
        Assert.Contains("must not be ReadCommitted for a lossy group", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DeadLetterTopicOfWrongType_FailsNamingKey()
    {
        Dictionary<string, string?> settings = Group(("ErrorPolicy:AfterRetries", "DeadLetter"), ("ErrorPolicy:DeadLetterTopic", "payments"));

        HotPathConfigurationException error = TestServices.ErrorOf(settings, hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<Payment>("payments");
            hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
        });

        Assert.Equal("HotPath:Groups:0:ErrorPolicy:DeadLetterTopic", error.Path);
        Assert.Contains("must be a Topic<DeadLetter<Order>>", error.Message, StringComparison.Ordinal);
        Assert.Contains("was Topic`1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DeadLetterTopicUnknown_FailsNamingKey()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Group(("ErrorPolicy:DeadLetterTopic", "orders.dql")), Billing);

        Assert.Equal("HotPath:Groups:0:ErrorPolicy:DeadLetterTopic", error.Path);
        Assert.Contains("must name a registered topic (orders), was 'orders.dql'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GroupTopicUnknown_FailsNamingElement()
    {
        Dictionary<string, string?> settings = Group();
        settings["HotPath:Groups:0:Topics:0"] = "ordres";

        HotPathConfigurationException error = TestServices.ErrorOf(settings, Billing);

        Assert.Equal("HotPath:Groups:0:Topics:0", error.Path);
        Assert.Contains("must name a registered topic (orders), was 'ordres'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GroupTopicOfAnotherType_FailsNamingElement()
    {
        Dictionary<string, string?> settings = Group();
        settings["HotPath:Groups:0:Topics:0"] = "payments";

        HotPathConfigurationException error = TestServices.ErrorOf(settings, hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<Payment>("payments");
            hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
        });

        Assert.Equal("HotPath:Groups:0:Topics:0", error.Path);
        Assert.Contains("must name a topic of Order events (the group's type), was 'payments', a topic of Payment events", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ConfiguredGroupNotRegistered_FailsNamingIt()
    {
        HotPathConfigurationException error = TestServices.ErrorOf(Group(), hp => hp.AddTopic<Order>("orders"));

        Assert.Equal("HotPath:Groups:0:GroupId", error.Path);
        Assert.Contains("group 'billing' is configured but not registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GroupWithoutHandler_FailsNamingGroup()
    {
        using var services = new TestServices(Group(), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing");
        });

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => services.Registry);

        Assert.Contains("group 'billing' has no handler", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GroupWithoutTopics_FailsNamingBothPlaces()
    {
        using var services = new TestServices(new Dictionary<string, string?>(), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
        });

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => services.Registry);

        Assert.Contains("group 'billing' names no topic", error.Message, StringComparison.Ordinal);
        Assert.Contains("Topics(...)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FailedGroup_DisposesGroupsCreatedBefore()
    {
        // The second group's error must not leave the first group gating the topic: a new group with the same id can be created.
        Dictionary<string, string?> settings = Group();
        settings["HotPath:Groups:1:GroupId"] = "audit";
        settings["HotPath:Groups:1:Topics:0"] = "orders";
        settings["HotPath:Groups:1:MaxBatchSize"] = "0";
        using var services = new TestServices(settings, hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));
            hp.AddGroup<Order>("audit").UseHandler(default(NoOpHandler));
        });

        Assert.Throws<HotPathConfigurationException>(() => services.Registry);

        using var orders = new Topics.Topic<Order>(new Topics.TopicOptions { Name = "orders" });
        using var billing = new ConsumerGroup<Order>(orders, new ConsumerGroupOptions { GroupId = "billing" });
        Assert.Equal("billing", billing.GroupId);
    }

    [Fact]
    public void Names_EveryEnumValue_HasAName()
    {
        AssertCovers(ConfigurationNames.PublishModes);
        AssertCovers(ConfigurationNames.SyncPolicies);
        AssertCovers(ConfigurationNames.OffsetResets);
        AssertCovers(ConfigurationNames.Protocols);
        AssertCovers(ConfigurationNames.CommitModes);
        AssertCovers(ConfigurationNames.IsolationLevels);
        AssertCovers(ConfigurationNames.ErrorActions);

        static void AssertCovers<TEnum>(KeyValuePair<string, TEnum>[] names)
            where TEnum : struct, Enum
        {
            Assert.Equal(Enum.GetValues<TEnum>().Order(), names.Select(n => n.Value).Order());
            Assert.All(names, n => Assert.Equal(n.Value.ToString(), n.Key));
        }
    }

    /// <summary>A valid topic "orders" and group "billing" over it, plus the given group keys.</summary>
    private static Dictionary<string, string?> Group(params (string Key, string Value)[] keys)
    {
        Dictionary<string, string?> settings = TopicConfigurationTests.Topic();
        settings["HotPath:Groups:0:GroupId"] = "billing";
        settings["HotPath:Groups:0:Topics:0"] = "orders";
        foreach ((string key, string value) in keys)
        {
            settings[$"HotPath:Groups:0:{key}"] = value;
        }

        return settings;
    }
}
