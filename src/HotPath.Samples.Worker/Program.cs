using HotPath.Consumers;
using HotPath.Extensions.Hosting;
using HotPath.Samples.Worker;

// appsettings.json beside the executable holds the topics and groups (section "HotPath"); code adds what configuration
// cannot say: each topic's event type and each group's handler.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var stats = new OrderStats();
builder.Services.AddSingleton(stats);
builder.Services.AddScoped<ShipmentBatch>();
builder.Services.AddHotPath(builder.Configuration.GetSection("HotPath"), hotPath =>
{
    hotPath.AddTopic<OrderPlaced>("orders");
    hotPath.AddTopic<DeadLetter<OrderPlaced>>("orders.dlq");
    hotPath.AddGroup<OrderPlaced>("shipping").UseHandler<ShipOrder>();   // from the container, a scope per batch
    hotPath.AddGroup<OrderPlaced>("audit").UseHandler(new CountOrders(stats));   // a struct value: the fast path
    hotPath.AddGroup<DeadLetter<OrderPlaced>>("dlq-monitor").UseHandler(new CountDeadLetters(stats));
});
builder.Services.AddHealthChecks().AddHotPath();
builder.Services.AddHostedService<OrderPublisher>();

await builder.Build().RunAsync();   // until OrderPublisher stops the application; then the drain, in order
Console.WriteLine(
    $"shipped {stats.Shipped:N0} orders in {stats.ShipmentBatches:N0} batches, audited {stats.Audited:N0}, dead-lettered {stats.DeadLettered:N0}");
