using System.Globalization;
using HotPath.Topics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HotPath.Samples.Worker;

/// <summary>
/// Publishes <c>Sample:Orders</c> orders keyed by order id (every 1,000th with quantity 0), logs the health report, then
/// stops the application: the hosting integration then drains (topics complete, groups drain, members stop).
/// </summary>
public sealed partial class OrderPublisher(
    Topic<OrderPlaced> orders, IConfiguration configuration, HealthCheckService health, IHostApplicationLifetime lifetime, ILogger<OrderPublisher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? setting = configuration["Sample:Orders"];
        long count = 100_000;
        if (setting is not null && (!long.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
        {
            throw new InvalidOperationException($"Sample:Orders must be a positive integer, was '{setting}'");
        }

        await Task.Yield();
        for (long id = 1; id <= count && !stoppingToken.IsCancellationRequested; id++)
        {
            // The key (the order id) picks the partition, as Kafka's Java producer would (Partitioner: Kafka in appsettings.json).
            orders.Publish(id, new OrderPlaced(id, Product: (int)(id % 7), Quantity: id % 1_000 == 0 ? 0 : 1 + (int)(id % 3)), stoppingToken);
        }

        HealthReport report = await health.CheckHealthAsync(stoppingToken);
        Published(logger, count, report.Status, report.Entries["hotpath"].Description ?? "");
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} orders; health {Status}: {Description}; stopping")]
    private static partial void Published(ILogger logger, long count, HealthStatus status, string description);
}
