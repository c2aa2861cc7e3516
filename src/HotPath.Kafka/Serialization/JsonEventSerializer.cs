using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace HotPath.Kafka.Serialization;

/// <summary>
/// Serializes events as UTF-8 JSON with System.Text.Json, written straight into the caller's buffer.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>
/// For trimming and native AOT, construct it with a <see cref="JsonTypeInfo{T}"/> from a source-generated
/// <c>JsonSerializerContext</c>; the <see cref="JsonSerializerOptions"/> constructor uses reflection.
/// Each <see cref="Serialize"/> call allocates one small <see cref="Utf8JsonWriter"/>; the payload itself is
/// written into the caller's <see cref="IBufferWriter{T}"/> without an intermediate copy.
/// </para>
/// <para>
/// Nothing is lost silently: public fields are serialized (events are often structs of public fields, which
/// System.Text.Json skips by default), and a contract that would still lose data (no member at all, or metadata
/// generated without <c>IncludeFields</c> for a type with public fields) is refused at construction with an
/// <see cref="EventSerializationException"/> naming the type and the fields.
/// </para>
/// <para>Thread safety: stateless after construction; safe to use from any number of threads at once.</para>
/// </remarks>
public sealed class JsonEventSerializer<T> : IEventSerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>Creates a serializer that uses source-generated (or otherwise prepared) metadata for <typeparamref name="T"/>.</summary>
    /// <param name="typeInfo">The metadata, for example <c>MyJsonContext.Default.MyEvent</c>. For events with public
    /// fields, generate it with <c>[JsonSourceGenerationOptions(IncludeFields = true)]</c>.</param>
    /// <exception cref="EventSerializationException">The contract would lose data: it has no member to serialize, or
    /// its options leave out public fields of <typeparamref name="T"/> (the message names them).</exception>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public JsonEventSerializer(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        EnsureNothingIsLeftOut(typeInfo);
        _typeInfo = typeInfo;
    }

    /// <summary>Creates a serializer that resolves metadata for <typeparamref name="T"/> by reflection.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="JsonSerializerOptions.Default"/>'s
    /// settings. Public fields are always serialized: options with <see cref="JsonSerializerOptions.IncludeFields"/>
    /// are used as they are (and become read-only); options without it are copied with it set, every other setting
    /// kept, and the caller's instance is left unchanged.</param>
    /// <exception cref="EventSerializationException"><typeparamref name="T"/> has no member to serialize.</exception>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    [RequiresUnreferencedCode("Reflection-based JSON metadata. Pass a JsonTypeInfo<T> from a JsonSerializerContext for trimmed apps.")]
    [RequiresDynamicCode("Reflection-based JSON metadata. Pass a JsonTypeInfo<T> from a JsonSerializerContext for native AOT.")]
    public JsonEventSerializer(JsonSerializerOptions? options = null)
    {
        // Events are commonly structs of public fields, which System.Text.Json skips by default: written as {} and read
        // back as zeros. Include them, on a copy when the caller's options leave them out.
        options = options switch
        {
            null => new JsonSerializerOptions(JsonSerializerOptions.Default) { IncludeFields = true },
            { IncludeFields: true } => options,
            _ => new JsonSerializerOptions(options) { IncludeFields = true },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        var typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        EnsureNothingIsLeftOut(typeInfo);
        _typeInfo = typeInfo;
    }

    /// <inheritdoc/>
    public void Serialize(in T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            using var writer = new Utf8JsonWriter(output);
            JsonSerializer.Serialize(writer, value, _typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new EventSerializationException(typeof(T), $"JSON serialization failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public T Deserialize(ReadOnlySpan<byte> data)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(data, _typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new EventSerializationException(
                typeof(T),
                $"data must be a JSON document of the event type: length={data.Length}, error={ex.Message}",
                ex);
        }

        if (value is null)
        {
            throw new EventSerializationException(
                typeof(T),
                $"data must not be the JSON literal null: length={data.Length}");
        }

        return value;
    }

    // A serializer that silently writes {} (or leaves fields out) loses events without an error: refuse it at
    // construction. Only object contracts are checked; a custom converter, a collection or a primitive carries its data.
    private static void EnsureNothingIsLeftOut(JsonTypeInfo<T> typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        string[] leftOut = PublicFieldsLeftOut(typeInfo);
        if (leftOut.Length > 0)
        {
            throw new EventSerializationException(
                typeof(T),
                $"the JSON contract must carry every public field of the event type, or their values are lost silently: " +
                $"these options leave out fields={string.Join(", ", leftOut)}. Set IncludeFields = true (with a JsonSerializerContext: " +
                "[JsonSourceGenerationOptions(IncludeFields = true)]), or mark each field [JsonInclude] or [JsonIgnore]");
        }

        if (typeInfo.Properties.Count == 0)
        {
            throw new EventSerializationException(
                typeof(T),
                $"the JSON contract of event type {typeof(T)} has no member to serialize: events would be written as {{}} and read back " +
                "as default values. Give it public properties or fields (fields need IncludeFields = true), or mark members [JsonInclude]: members=0");
        }
    }

    // A public field is carried when a property of the contract was built from it (reflection and source-generated
    // metadata both name their member in AttributeProvider), or is ignored on purpose. A contract built without member
    // information falls back to the options: with IncludeFields, or [JsonInclude], the field is taken as carried.
    [UnconditionalSuppressMessage("Trimming", "IL2090", Justification = "A field trimmed away cannot be lost by serialization either.")]
    private static string[] PublicFieldsLeftOut(JsonTypeInfo<T> typeInfo)
    {
        bool membersKnown = typeInfo.Properties.All(property => property.AttributeProvider is MemberInfo);
        return [.. typeof(T).GetFields(BindingFlags.Public | BindingFlags.Instance)
            .Where(field => !field.IsDefined(typeof(JsonIgnoreAttribute), inherit: false))
            .Where(field => membersKnown
                ? !typeInfo.Properties.Any(property => property.AttributeProvider is MemberInfo member && member.HasSameMetadataDefinitionAs(field))
                : !typeInfo.Options.IncludeFields && !field.IsDefined(typeof(JsonIncludeAttribute), inherit: false))
            .Select(field => field.Name)];
    }
}
