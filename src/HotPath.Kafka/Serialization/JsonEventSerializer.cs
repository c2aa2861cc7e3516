using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
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
/// <para>Thread safety: stateless after construction; safe to use from any number of threads at once.</para>
/// </remarks>
public sealed class JsonEventSerializer<T> : IEventSerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>Creates a serializer that uses source-generated (or otherwise prepared) metadata for <typeparamref name="T"/>.</summary>
    /// <param name="typeInfo">The metadata, for example <c>MyJsonContext.Default.MyEvent</c>.</param>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public JsonEventSerializer(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        _typeInfo = typeInfo;
    }

    /// <summary>Creates a serializer that resolves metadata for <typeparamref name="T"/> by reflection.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="JsonSerializerOptions.Default"/>.
    /// The options become read-only.</param>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    [RequiresUnreferencedCode("Reflection-based JSON metadata. Pass a JsonTypeInfo<T> from a JsonSerializerContext for trimmed apps.")]
    [RequiresDynamicCode("Reflection-based JSON metadata. Pass a JsonTypeInfo<T> from a JsonSerializerContext for native AOT.")]
    public JsonEventSerializer(JsonSerializerOptions? options = null)
    {
        options ??= JsonSerializerOptions.Default;
        options.MakeReadOnly(populateMissingResolver: true);
        _typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
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
}
