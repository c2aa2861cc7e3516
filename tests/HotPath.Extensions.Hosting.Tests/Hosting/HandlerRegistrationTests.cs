using HotPath.Consumers;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HotPath.Extensions.Hosting.Tests.Hosting;

public sealed class HandlerRegistrationTests
{
    private const int Count = 2_000;

    [Fact]
    public async Task UseBatchHandler_ClassHandler_OneScopePerBatchEveryEventOnce()
    {
        Ledger ledger = await RunAsync(group => group.UseBatchHandler<BatchCounter>());

        AssertEveryEventOnce(ledger);
        Assert.InRange(ledger.ScopesStarted, 1, Count);
        Assert.Equal(ledger.ScopesStarted, ledger.ScopesEnded);
    }

    [Fact]
    public async Task UseAsyncHandler_ClassHandler_OneScopePerEventEveryEventOnce()
    {
        Ledger ledger = await RunAsync(group => group.UseAsyncHandler<AsyncCounter>());

        AssertEveryEventOnce(ledger);
        Assert.Equal(Count, ledger.ScopesStarted);
        Assert.Equal(Count, ledger.ScopesEnded);
    }

    [Fact]
    public async Task UseHandler_StructValue_EveryEventOnceWithoutScopes()
    {
        Ledger? shared = null;
        Ledger ledger = await RunAsync(group => group.UseHandler(new StructCounter(shared!)), ledger => shared = ledger);

        AssertEveryEventOnce(ledger);
        Assert.Equal(0, ledger.ScopesStarted);
    }

    [Fact]
    public async Task UseHandler_AttemptThrows_RetryKeepsTheBatchScopeAndNothingIsLost()
    {
        var attempts = new FlakyHandler.Attempts();
        Ledger ledger = await RunAsync(
            group => group.Configure(o => o with { ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.Zero } }).UseHandler<FlakyHandler>(),
            services: s => s.AddSingleton(attempts));

        AssertEveryEventOnce(ledger);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(ledger.ScopesStarted, ledger.ScopesEnded);
    }

    [Fact]
    public async Task UseHandler_ErrorPolicyStopsMember_ScopeEndedWithTheLastAttempt()
    {
        var ledger = new Ledger(10);
        var log = new TestLog();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(log, []);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddSingleton(ledger).AddScoped<UnitOfWork>();
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddGroup<Order>("billing").Topics("orders")
                .Configure(o => o with { ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.Zero } })
                .UseHandler<StopOnThree>();
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
        for (long id = 0; id < 10; id++)
        {
            orders.Publish(new Order(id));
        }

        await Eventually.True(() => log.Of(3).Count > 0, "the member to fault");

        Assert.Equal(3, ledger.Total);
        Assert.Equal(ledger.ScopesStarted, ledger.ScopesEnded);
        await host.StopAsync();
    }

    [Fact]
    public async Task UseTransactionalHandler_ClassHandlerWithAnAbort_EveryOutputReadOnceAndScopesEnded()
    {
        var outputs = new Ledger(Count);
        var attempts = new FlakyHandler.Attempts();
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(new TestLog(), []);
        builder.Services.AddSingleton(outputs).AddSingleton(attempts).AddScoped<UnitOfWork>();
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders", o => o with { PartitionCount = 2, Capacity = 128 });
            hp.AddTopic<Order>("processed", o => o with { PartitionCount = 2, Capacity = 128 });
            hp.AddGroup<Order>("processor").Topics("orders").Members(2)
                .Configure(o => o with { ErrorPolicy = new ErrorPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.Zero } })
                .UseTransactionalHandler<TransactionalForwarder>();
            hp.AddGroup<Order>("counter").Topics("processed").UseHandler<CountingHandler>();
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        Topic<Order> orders = host.Services.GetRequiredKeyedService<Topic<Order>>("orders");
        for (long id = 0; id < Count; id++)
        {
            orders.Publish(id, new Order(id));
        }

        await host.StopAsync();

        AssertEveryEventOnce(outputs);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(outputs.ScopesStarted, outputs.ScopesEnded);
        // The aborted transaction held the outputs of its batch up to order 3 (how many depends on the batch): the
        // read-committed counter stepped over them.
        Assert.InRange(host.Services.GetRequiredKeyedService<ConsumerGroup<Order>>("counter").GetStats().Sum(s => s.Aborted), 1, Count);
    }

    [Fact]
    public void UseHandler_Twice_Refused()
    {
        var services = new ServiceCollection();
        services.AddHotPath(hp =>
        {
            GroupBuilder<Order> group = hp.AddGroup<Order>("billing").UseHandler(default(NoOpHandler));

            InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => group.UseHandler<CountingHandler>());

            Assert.Equal(
                "group 'billing' already has the handler NoOpHandler: a group has exactly one handler, was given CountingHandler too (add another group for another handler)",
                error.Message);
        });
    }

    [Fact]
    public void AddTopic_SameNameTwice_Refused()
    {
        var services = new ServiceCollection();
        services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");

            ArgumentException error = Assert.Throws<ArgumentException>(() => hp.AddTopic<Payment>("orders"));

            Assert.Equal("name", error.ParamName);
            Assert.StartsWith("name must be unique: topic 'orders' is already registered", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void AddHotPath_CalledTwice_Refused()
    {
        var services = new ServiceCollection();
        services.AddHotPath(hp => hp.AddTopic<Order>("orders"));

        Assert.Throws<InvalidOperationException>(() => services.AddHotPath(hp => hp.AddTopic<Order>("payments")));
    }

    [Fact]
    public void Resolve_SeveralTopicsOfOneType_ByKeyAndRegistry_UnkeyedOnlyForASingleType()
    {
        using var services = new TestServices(new Dictionary<string, string?>(), hp =>
        {
            hp.AddTopic<Order>("orders");
            hp.AddTopic<Order>("returns");
            hp.AddTopic<Payment>("payments");
            hp.AddGroup<Order>("billing").Topics("orders", "returns").UseHandler(default(NoOpHandler));
        });
        IServiceProvider provider = services.Provider;
        HotPathRegistry registry = services.Registry;

        Topic<Order> orders = provider.GetRequiredKeyedService<Topic<Order>>("orders");
        Topic<Order> returns = provider.GetRequiredKeyedService<Topic<Order>>("returns");

        Assert.Equal("orders", orders.Name);
        Assert.Equal("returns", returns.Name);
        Assert.Same(orders, registry.GetTopic<Order>("orders"));
        Assert.Null(provider.GetService<Topic<Order>>());
        Assert.Same(registry.GetTopic<Payment>("payments"), provider.GetRequiredService<Topic<Payment>>());
        Assert.Same(registry.GetGroup<Order>("billing"), provider.GetRequiredService<ConsumerGroup<Order>>());
        Assert.Same(registry.GetGroup<Order>("billing"), provider.GetRequiredKeyedService<ConsumerGroup<Order>>("billing"));
        Assert.Equal(["orders", "returns", "payments"], registry.TopicNames);
        Assert.Equal(["billing"], registry.GroupIds);
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => registry.GetTopic<Order>("order"));
        Assert.Equal("name", unknown.ParamName);
        Assert.StartsWith("name must name a registered topic (orders, returns, payments), was 'order'", unknown.Message, StringComparison.Ordinal);
        ArgumentException wrongType = Assert.Throws<ArgumentException>(() => registry.GetTopic<Payment>("orders"));
        Assert.StartsWith("topic 'orders' holds Order events, was asked for Payment", wrongType.Message, StringComparison.Ordinal);
    }

    private static void AssertEveryEventOnce(Ledger ledger)
    {
        Assert.Equal(Count, ledger.Total);
        Assert.All(Enumerable.Range(0, Count), id => Assert.Equal(1, ledger.CountOf(id)));
    }

    /// <summary>Publishes <see cref="Count"/> orders into a 2-partition topic read by group "billing" (2 members), stops, returns the ledger.</summary>
    private static async Task<Ledger> RunAsync(
        Action<GroupBuilder<Order>> handler, Action<Ledger>? seeLedger = null, Action<IServiceCollection>? services = null)
    {
        var ledger = new Ledger(Count);
        seeLedger?.Invoke(ledger);
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(new TestLog(), []);
        builder.Services.AddSingleton(ledger).AddScoped<UnitOfWork>();
        services?.Invoke(builder.Services);
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders", o => o with { PartitionCount = 2, Capacity = 128 });
            handler(hp.AddGroup<Order>("billing").Topics("orders").Members(2));
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
        for (long id = 0; id < Count; id++)
        {
            orders.Publish(id, new Order(id));
        }

        await host.StopAsync();
        return ledger;
    }
}
