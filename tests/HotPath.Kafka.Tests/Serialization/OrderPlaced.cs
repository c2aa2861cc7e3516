namespace HotPath.Kafka.Tests.Serialization;

public sealed record OrderPlaced(string OrderId, int Quantity, decimal Price, string[] Tags);
