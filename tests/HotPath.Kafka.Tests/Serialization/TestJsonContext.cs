using System.Text.Json.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

[JsonSerializable(typeof(OrderPlaced))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
