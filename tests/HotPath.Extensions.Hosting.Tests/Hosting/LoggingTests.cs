using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Tests.Hosting;

public sealed class LoggingTests
{
    [Fact]
    public async Task Log_MemberFaults_OnceWithGroupMemberAndError_AndUserCallbackStillCalled()
    {
        var log = new TestLog();
        var heard = new List<MemberFailure>();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, []);
        // The faulted member leaves order 3 uncommitted: the group cannot drain, so stop at a short bound.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").Topics("orders")
                .Configure(o => o with { OnMemberFailed = f => { lock (heard) { heard.Add(f); } } })
                .UseHandler(new FailingHandler(3, new StrongBox<long>()));
        });
        using IHost host = builder.Build();
        await host.StartAsync();

        host.Services.GetRequiredService<Topic<Order>>().Publish(new Order(3));
        await Eventually.True(() => log.Of(3).Count > 0, "the fault to be logged");
        await Eventually.True(() => { lock (heard) { return heard.Count > 0; } }, "the user's callback");
        await host.StopAsync();

        LogEntry fault = Assert.Single(log.Of(3));
        Assert.Equal(LogLevel.Error, fault.Level);
        Assert.Contains("Group billing member billing-1 faulted", fault.Message, StringComparison.Ordinal);
        Assert.Contains("0 member(s) remain", fault.Message, StringComparison.Ordinal);
        Assert.Equal("order 3 cannot be handled", fault.Exception?.Message);
        Assert.Equal("billing-1", Assert.Single(heard).MemberId);
    }

    [Fact]
    public async Task Log_MemberStuckPastSessionTimeout_FencedOnce()
    {
        var log = new TestLog();
        var slow = new SlowHandler();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, []);
        builder.Services.AddSingleton(slow);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").Topics("orders")
                .Configure(o => o with { SessionTimeout = TimeSpan.FromMilliseconds(100), ShutdownTimeout = TimeSpan.FromMilliseconds(100) })
                .UseHandler<SlowHandler>();
        });
        using IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            host.Services.GetRequiredService<Topic<Order>>().Publish(new Order(SlowHandler.SlowId));
            await Eventually.True(() => log.Of(4).Count > 0, "the fence to be logged");
            await host.StopAsync();

            LogEntry fenced = Assert.Single(log.Of(4));
            Assert.Equal(LogLevel.Error, fenced.Level);
            Assert.Contains("Group billing member billing-1 was declared failed and fenced", fenced.Message, StringComparison.Ordinal);
            Assert.EndsWith("its partitions moved, 0 member(s) remain", fenced.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(log.Of(3), e => e.Message.Contains("billing-1", StringComparison.Ordinal));
        }
        finally
        {
            slow.Release.Set();
        }
    }

    [Fact]
    public async Task Log_Rebalance_AssignedOncePerMemberWithPartitions_AndUserListenerChained()
    {
        var log = new TestLog();
        var listener = new RecordingListener();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, []);
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders", o => o with { PartitionCount = 2 });
            hp.AddGroup<Order>("billing").Topics("orders").Members(2)
                .Configure(o => o with { RebalanceListener = listener, Assignor = new Groups.RangeAssignor() })
                .UseHandler(default(NoOpHandler));
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        await Eventually.True(() => listener.Assigned.Count(a => a.Member == "billing-2") > 0, "billing-2's assignment");
        await host.StopAsync();

        Assert.Contains(log.Of(5), e => e.Message == "Group billing member billing-2 was assigned orders-1");
        // Range is eager: billing-1 gives up both partitions before the new assignment.
        Assert.Contains(log.Of(6), e => e.Message == "Group billing member billing-1 gave up orders-0, orders-1 (committed)");
        Assert.Contains(listener.Assigned, a => a == ("billing-2", new Groups.TopicPartition("orders", 1)));
        Assert.All(listener.Assigned, a => Assert.Contains(log.Of(5), e => e.Message.Contains($"member {a.Member} was assigned", StringComparison.Ordinal)
            && e.Message.Contains(a.Partition.ToString(), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Log_DeadLetter_OnceWithGroupMemberPartitionAndOffset()
    {
        var log = new TestLog();
        var handled = new StrongBox<long>();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, new Dictionary<string, string?>
        {
            ["HotPath:Groups:0:GroupId"] = "billing",
            ["HotPath:Groups:0:Topics:0"] = "orders",
            ["HotPath:Groups:0:ErrorPolicy:MaxAttempts"] = "2",
            ["HotPath:Groups:0:ErrorPolicy:InitialBackoff"] = "00:00:00",
            ["HotPath:Groups:0:ErrorPolicy:AfterRetries"] = "DeadLetter",
            ["HotPath:Groups:0:ErrorPolicy:DeadLetterTopic"] = "orders.dlq",
        });
        builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<DeadLetter<Order>>("orders.dlq");
            hp.AddGroup<Order>("billing").UseHandler(new FailingHandler(2, handled));
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
        for (long id = 0; id < 5; id++)
        {
            orders.Publish(new Order(id));
        }

        await Eventually.True(() => Interlocked.Read(ref handled.Value) == 4, "the four other orders");
        await host.StopAsync();

        LogEntry deadLetter = Assert.Single(log.Of(8));
        Assert.Equal("Group billing member billing-1 dead-lettered orders-0 offset 2 after 2 attempt(s)", deadLetter.Message);
        Assert.Equal("order 2 cannot be handled", deadLetter.Exception?.Message);
        Topic<DeadLetter<Order>> dlq = host.Services.GetRequiredService<Topic<DeadLetter<Order>>>();
        Assert.Equal(1, dlq[0].EndOffset);
    }

    [Fact]
    public async Task Log_DurableTopicReopened_RecoveryOncePerPartition()
    {
        string directory = Path.Combine(Path.GetTempPath(), "hotpath-hosting-" + Guid.NewGuid().ToString("N"));
        try
        {
            for (int run = 0; run < 2; run++)
            {
                var log = new TestLog();
                HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, new Dictionary<string, string?>
                {
                    ["HotPath:Topics:0:topic"] = "orders",
                    ["HotPath:Topics:0:partitions"] = "2",
                    ["HotPath:Topics:0:replicationFactor"] = "1",
                    ["HotPath:Topics:0:Durability:Directory"] = directory,
                });
                builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hp => hp.AddTopic<Order>("orders"));
                using IHost host = builder.Build();
                await host.StartAsync();
                Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
                if (run == 0)
                {
                    Assert.Empty(log.Of(1));
                    orders.PublishTo(0, new Order(1));
                    orders.PublishTo(1, new Order(2));
                    orders.PublishTo(1, new Order(3));
                }
                else
                {
                    Assert.Equal(2, log.Of(1).Count);
                    Assert.Contains(log.Of(1), e => e.Message.StartsWith("Topic orders partition 0 recovered offsets 0 to 1 ", StringComparison.Ordinal));
                    Assert.Contains(log.Of(1), e => e.Message.StartsWith("Topic orders partition 1 recovered offsets 0 to 2 ", StringComparison.Ordinal));
                }

                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
