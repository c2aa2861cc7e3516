using HotPath.Partitioning;
using HotPath.Topics;

// Publishes keyed orders into a 3-partition topic and prints where each key went.
using var orders = new Topic<Order>(new TopicOptions { Name = "orders", PartitionCount = 3, Capacity = 1024 });
using var readers = new DisposableList(orders.Partitions.Select(p => orders.CreateReader(p.Id)));
string[] keys = ["ORD12345", "ORD12346", "ORD12347", "ORD12348", "ORD12349", "ORD12350"];
for (int round = 0; round < 3; round++)
{
    foreach (string key in keys)
    {
        var result = orders.Publish(key, new Order(key.GetHashCode(), round));
        Console.WriteLine($"{key} event {round} -> partition {result.Partition}, offset {result.Offset} (Kafka would pick {Partitioner.Kafka.PartitionFor(key, 3)})");
    }
}

foreach (var reader in readers.Items)
{
    Console.WriteLine($"partition {reader.Partition}: {reader.Lag} events waiting");
}

internal readonly record struct Order(int Id, int Sequence);

internal sealed class DisposableList(IEnumerable<HotPath.Consumers.PartitionReader<Order>> items) : IDisposable
{
    public List<HotPath.Consumers.PartitionReader<Order>> Items { get; } = [.. items];

    public void Dispose() => Items.ForEach(i => i.Dispose());
}
