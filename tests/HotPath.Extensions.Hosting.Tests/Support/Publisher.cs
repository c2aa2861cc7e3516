using HotPath.Topics;
using Microsoft.Extensions.Hosting;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A BackgroundService that publishes orders 0 to <see cref="Count"/> - 1, keyed by id, then says so.</summary>
public sealed class Publisher(Topic<Order> orders, PublisherSettings settings) : BackgroundService
{
    public int Count => settings.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            for (long id = 0; id < settings.Count; id++)
            {
                orders.Publish(id, new Order(id), stoppingToken);
            }

            settings.Done.TrySetResult();
        }
        catch (Exception e)
        {
            settings.Done.TrySetException(e);
            throw;
        }
    }
}
