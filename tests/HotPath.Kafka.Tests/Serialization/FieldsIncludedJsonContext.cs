using System.Text.Json.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

/// <summary>Source-generated metadata with <c>IncludeFields</c>: public fields are part of the contracts.</summary>
[JsonSourceGenerationOptions(IncludeFields = true)]
[JsonSerializable(typeof(FieldOrder))]
[JsonSerializable(typeof(MixedOrder))]
internal sealed partial class FieldsIncludedJsonContext : JsonSerializerContext;
