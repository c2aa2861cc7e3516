using System.Text.Json.Serialization;

namespace HotPath.Kafka.Tests.Serialization;

/// <summary>Source-generated metadata without <c>IncludeFields</c>: public fields are left out of the contracts.</summary>
[JsonSerializable(typeof(FieldOrder))]
[JsonSerializable(typeof(MixedOrder))]
internal sealed partial class FieldsExcludedJsonContext : JsonSerializerContext;
