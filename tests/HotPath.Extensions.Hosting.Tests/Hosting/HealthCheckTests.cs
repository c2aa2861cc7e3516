using System.Runtime.CompilerServices;
using HotPath.Extensions.Hosting.Tests.Support;
using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HotPath.Extensions.Hosting.Tests.Hosting;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task Check_MembersRunningNoLag_HealthyWithFigures()
    {
        using IHost host = await StartAsync(hp => hp.AddGroup<Order>("billing").Topics("orders").Members(2).UseHandler(default(NoOpHandler)));

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(2, entry.Data["billing.members"]);
        Assert.Equal(0, entry.Data["billing.faulted"]);
        Assert.Equal(0L, entry.Data["billing.lag"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task Check_MemberFaulted_Unhealthy()
    {
        using IHost host = await StartAsync(hp => hp.AddGroup<Order>("billing").Topics("orders").UseHandler(new FailingHandler(0, new StrongBox<long>())));
        host.Services.GetRequiredService<Topic<Order>>().Publish(new Order(0));
        await Eventually.True(() => host.Services.GetRequiredService<HotPathRegistry>().Groups[0].GetMembers()[0].State != Consumers.MemberState.Running, "the fault");

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("member billing-1 is Faulted (InvalidOperationException: order 0 cannot be handled)", entry.Description, StringComparison.Ordinal);
        Assert.Contains("group 'billing' has no live member: the writers wait for it", entry.Description, StringComparison.Ordinal);
        Assert.Equal(1, entry.Data["billing.faulted"]);
        Assert.Equal(1L, entry.Data["billing.lag"]);
    }

    [Fact]
    public async Task Check_LagAboveThreshold_Degraded()
    {
        var slow = new SlowHandler();
        using IHost host = await StartAsync(
            hp => hp.AddGroup<Order>("billing").Topics("orders").DegradedLag(3).Configure(o => o with { MaxBatchSize = 1 }).UseHandler<SlowHandler>(),
            services => services.AddSingleton(slow));
        try
        {
            Topic<Order> orders = host.Services.GetRequiredService<Topic<Order>>();
            for (long id = 0; id < 10; id++)
            {
                orders.Publish(new Order(id));
            }

            await slow.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

            HealthReportEntry entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Equal("group 'billing' lags 5 events, above its DegradedLag of 3", entry.Description);
            Assert.Equal(5L, entry.Data["billing.lag"]);
            Assert.Equal(5L, entry.Data["billing.maxPartitionLag"]);
        }
        finally
        {
            slow.Release.Set();
        }
    }

    [Fact]
    public async Task Check_LosslessGroupWithoutLiveMember_Unhealthy_LossyOnlyDegraded()
    {
        // Built but never started: the groups exist (they gate the topic) and have no member.
        UnstartedServices services = new(hp =>
        {
            hp.AddGroup<Order>("billing").Topics("orders").UseHandler(default(NoOpHandler));
            hp.AddGroup<Order>("analytics").Topics("orders").Configure(o => o with { Lossy = true }).UseHandler(default(NoOpHandler));
        });
        using (services)
        {
            HealthReport report = await services.Provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            HealthReportEntry entry = report.Entries["hotpath"];

            Assert.Equal(HealthStatus.Unhealthy, entry.Status);
            Assert.Contains("group 'billing' has no live member: the writers wait for it", entry.Description, StringComparison.Ordinal);
            Assert.Contains("group 'analytics' has no live member (lossy: it misses what is published)", entry.Description, StringComparison.Ordinal);
        }

        using var lossyOnly = new UnstartedServices(hp =>
            hp.AddGroup<Order>("analytics").Topics("orders").Configure(o => o with { Lossy = true }).UseHandler(default(NoOpHandler)));
        HealthReport lossyReport = await lossyOnly.Provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, lossyReport.Entries["hotpath"].Status);
    }

    private static async Task<IHost> StartAsync(Action<HotPathBuilder> groups, Action<IServiceCollection>? more = null)
    {
        HostApplicationBuilder builder = HostLifecycleTests.NewBuilder(new TestLog(), []);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddHealthChecks().AddHotPath();
        more?.Invoke(builder.Services);
        builder.Services.AddHotPath(hp =>
        {
            hp.AddTopic<Order>("orders");
            groups(hp);
        });
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["hotpath"];

    /// <summary>The container of a host that was never started: the registry is built, no member joined.</summary>
    private sealed class UnstartedServices : IDisposable
    {
        private readonly TestServices _services;

        public UnstartedServices(Action<HotPathBuilder> groups)
        {
            _services = new TestServices(
                new Dictionary<string, string?>(),
                hp =>
                {
                    hp.AddTopic<Order>("orders");
                    groups(hp);
                },
                services => services.AddHealthChecks().AddHotPath());
            _ = _services.Registry;
        }

        public IServiceProvider Provider => _services.Provider;

        public void Dispose() => _services.Dispose();
    }
}
