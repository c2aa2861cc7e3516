using System.Diagnostics;
using HotPath.Consumers;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Topics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Tests.Hosting;

public sealed class HostLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StopAsync_PublisherAndScopedHandlers_EveryEventHandledOnceAndCommitted()
    {
        const int Count = 20_000;
        var ledger = new Ledger(Count);
        var publishing = new PublisherSettings(Count);
        var log = new TestLog();
        HostApplicationBuilder builder = NewBuilder(log, new Dictionary<string, string?>
        {
            ["HotPath:Topics:0:topic"] = "orders",
            ["HotPath:Topics:0:partitions"] = "4",
            ["HotPath:Topics:0:replicationFactor"] = "1",
            ["HotPath:Topics:0:Capacity"] = "256",
            ["HotPath:Groups:0:GroupId"] = "billing",
            ["HotPath:Groups:0:Topics:0"] = "orders",
            ["HotPath:Groups:0:Members"] = "2",
            ["HotPath:Groups:0:MaxBatchSize"] = "64",
        });
        builder.Services.AddSingleton(ledger).AddSingleton(publishing).AddScoped<UnitOfWork>();
        builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").UseHandler<CountingHandler>();
        });
        builder.Services.AddHostedService<Publisher>();
        using IHost host = builder.Build();

        await host.StartAsync();
        await publishing.Done.Task.WaitAsync(Patience);
        await host.StopAsync();

        Assert.Equal(Count, ledger.Total);
        Assert.All(Enumerable.Range(0, Count), id => Assert.Equal(1, ledger.CountOf(id)));
        ConsumerGroup<Order> billing = host.Services.GetRequiredService<HotPathRegistry>().GetGroup<Order>("billing");
        IReadOnlyList<PartitionStats> stats = billing.GetStats();
        Assert.Equal(4, stats.Count);
        Assert.Equal(Count, stats.Sum(s => s.EndOffset));
        Assert.All(stats, s => Assert.Equal(s.EndOffset, s.Committed));
        // One scope per batch, every one ended: as many units of work as scopes, each flushed at its batch's end.
        Assert.InRange(ledger.ScopesStarted, 1, Count);
        Assert.Equal(ledger.ScopesStarted, ledger.ScopesEnded);
        Assert.Single(log.Of(12));
        Assert.Empty(log.Of(13));
        Assert.True(host.Services.GetRequiredService<Topic<Order>>().IsCompleted);
    }

    [Fact]
    public async Task StopAsync_HandlerSlowerThanShutdownTimeout_StopsAtBoundAndCommitsOnlyHandled()
    {
        var log = new TestLog();
        var slow = new SlowHandler();
        HostApplicationBuilder builder = NewBuilder(log, new Dictionary<string, string?>
        {
            ["HotPath:Topics:0:topic"] = "orders",
            ["HotPath:Topics:0:partitions"] = "1",
            ["HotPath:Topics:0:replicationFactor"] = "1",
            ["HotPath:Groups:0:GroupId"] = "billing",
            ["HotPath:Groups:0:Topics:0"] = "orders",
            ["HotPath:Groups:0:MaxBatchSize"] = "1",
            ["HotPath:Groups:0:ShutdownTimeout"] = "00:00:00.200",
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(500));
        builder.Services.AddSingleton(slow);
        builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").UseHandler<SlowHandler>();
        });
        using IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
            for (long id = 0; id < 10; id++)
            {
                orders.Publish(new Order(id));
            }

            await slow.Entered.Task.WaitAsync(Patience);
            var stopping = Stopwatch.StartNew();
            await host.StopAsync();
            stopping.Stop();

            // The bound (500 ms) plus the group's ShutdownTimeout (200 ms), not the handler's 10 s.
            Assert.InRange(stopping.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
            ConsumerGroup<Order> billing = host.Services.GetRequiredService<ConsumerGroup<Order>>();
            PartitionStats partition = Assert.Single(billing.GetStats());
            Assert.Equal(SlowHandler.SlowId, partition.Committed);
            Assert.Equal([0, 1, 2, 3, 4], slow.Handled);
            LogEntry bound = Assert.Single(log.Of(13));
            Assert.Equal(LogLevel.Warning, bound.Level);
            Assert.Contains("group billing", bound.Message, StringComparison.Ordinal);
            Assert.Contains("5 event(s) not handled on orders-0 (5)", bound.Message, StringComparison.Ordinal);
            Assert.Single(log.Of(15));
            Assert.Empty(log.Of(12));
            Assert.True(orders.IsCompleted);
            Assert.Throws<ObjectDisposedException>(() => orders.Publish(new Order(10)));
        }
        finally
        {
            slow.Release.Set();
        }
    }

    [Fact]
    public async Task StopAsync_DrainTimeoutShorterThanHostBound_StopsAtDrainTimeout()
    {
        var log = new TestLog();
        var slow = new SlowHandler();
        HostApplicationBuilder builder = NewBuilder(log, []);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.AddSingleton(slow);
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").Topics("orders")
                .Configure(o => o with { MaxBatchSize = 1, ShutdownTimeout = TimeSpan.FromMilliseconds(100) })
                .UseHandler<SlowHandler>();
            hp.DrainTimeout(TimeSpan.FromMilliseconds(200));
        });
        using IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
            for (long id = 0; id <= SlowHandler.SlowId; id++)
            {
                orders.Publish(new Order(id));
            }

            await slow.Entered.Task.WaitAsync(Patience);
            var stopping = Stopwatch.StartNew();
            await host.StopAsync();

            Assert.InRange(stopping.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
            Assert.Equal(SlowHandler.SlowId, Assert.Single(host.Services.GetRequiredService<ConsumerGroup<Order>>().GetStats()).Committed);
            Assert.Contains("1 event(s) not handled on orders-0 (1)", Assert.Single(log.Of(13)).Message, StringComparison.Ordinal);
        }
        finally
        {
            slow.Release.Set();
        }
    }

    [Fact]
    public void DrainTimeout_NotPositive_Refused()
    {
        new ServiceCollection().AddHotPath(hp =>
        {
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => hp.DrainTimeout(TimeSpan.Zero));
            Assert.Equal("timeout", error.ParamName);
        });
    }

    [Fact]
    public async Task StartAsync_BadConfiguration_FailsNamingKey()
    {
        HostApplicationBuilder builder = NewBuilder(new TestLog(), new Dictionary<string, string?>
        {
            ["HotPath:Topics:0:topic"] = "orders",
            ["HotPath:Topics:0:partitions"] = "1",
            ["HotPath:Topics:0:Partitioner"] = "Kafkaa",
        });
        builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hp => hp.AddTopic<Order>("orders"));
        using IHost host = builder.Build();

        HotPathConfigurationException error = await Assert.ThrowsAsync<HotPathConfigurationException>(() => host.StartAsync());

        Assert.Equal("HotPath:Topics:0:Partitioner", error.Path);
        Assert.Contains("was 'Kafkaa'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_HandlerPublishesDownstream_DownstreamDrainedBeforeTopicsComplete()
    {
        // orders -> (forwarder publishes each into) shipments -> counter: completing shipments before the forwarder
        // finished would make its publish throw; the settle step waits for the work in flight first.
        const int Count = 5_000;
        var ledger = new Ledger(Count);
        var log = new TestLog();
        HostApplicationBuilder builder = NewBuilder(log, new Dictionary<string, string?>());
        builder.Services.AddSingleton(ledger).AddScoped<UnitOfWork>();
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders", o => o with { PartitionCount = 2, Capacity = 64 });
            hp.AddTopic<Order>("shipments", o => o with { PartitionCount = 2, Capacity = 64 });
            hp.AddGroup<Order>("forwarder").Topics("orders").UseHandler<Forwarder>();
            hp.AddGroup<Order>("shipping").Topics("shipments").UseHandler<CountingHandler>();
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        Topic<Order> orders = host.Services.GetRequiredKeyedService<Topic<Order>>("orders");
        for (long id = 0; id < Count; id++)
        {
            orders.Publish(id, new Order(id));
        }

        await host.StopAsync();

        Assert.Equal(Count, ledger.Total);
        Assert.All(Enumerable.Range(0, Count), id => Assert.Equal(1, ledger.CountOf(id)));
        Assert.DoesNotContain(log.HotPath, e => e.Level >= LogLevel.Warning);
        Assert.Single(log.Of(12));
    }

    internal static HostApplicationBuilder NewBuilder(TestLog log, Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(log);
        return builder;
    }
}
