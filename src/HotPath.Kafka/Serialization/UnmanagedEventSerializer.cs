using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HotPath.Kafka.Serialization;

/// <summary>
/// Serializes an unmanaged struct as its raw in-memory bytes: the fastest format, one copy each way.
/// </summary>
/// <typeparam name="T">A struct without references.</typeparam>
/// <remarks>
/// <para>
/// The wire format is the struct's layout in memory, little-endian, including any padding bytes, so producer
/// and consumer must agree on the exact layout: give the struct <c>[StructLayout(LayoutKind.Sequential, Pack = 1)]</c>
/// or explicit offsets, and treat a layout change as a new event version. A non-.NET consumer reads the fields at the
/// offsets of that layout. Big-endian platforms are rejected at construction rather than writing a second format.
/// </para>
/// <para>Thread safety: stateless; safe to use from any number of threads at once.</para>
/// </remarks>
public sealed class UnmanagedEventSerializer<T> : IEventSerializer<T>
    where T : unmanaged
{
    private static readonly int s_size = ComputeSize();

    /// <summary>Creates the serializer.</summary>
    /// <exception cref="PlatformNotSupportedException">The process runs on a big-endian platform.</exception>
    /// <remarks>Thread safety: not applicable (constructor).</remarks>
    public UnmanagedEventSerializer()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(
                $"{nameof(UnmanagedEventSerializer<T>)} writes little-endian bytes and needs a little-endian platform: " +
                $"BitConverter.IsLittleEndian={BitConverter.IsLittleEndian}. Use {nameof(JsonEventSerializer<T>)} instead.");
        }
    }

    /// <summary>The number of bytes of one serialized event, which is the size of <typeparamref name="T"/>.</summary>
    /// <remarks>Thread safety: safe to read from any thread.</remarks>
    public int Size => s_size;

    /// <inheritdoc/>
    public void Serialize(in T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> destination = output.GetSpan(s_size);
        MemoryMarshal.Write(destination, in value);
        output.Advance(s_size);
    }

    /// <inheritdoc/>
    public T Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length != s_size)
        {
            ThrowWrongLength(data.Length);
        }

        return MemoryMarshal.Read<T>(data);
    }

    private static int ComputeSize()
    {
        T probe = default;
        return MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in probe)).Length;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowWrongLength(int actual) =>
        throw new EventSerializationException(
            typeof(T),
            string.Create(
                CultureInfo.InvariantCulture,
                $"data length must equal the size of the struct: expected={s_size}, actual={actual}"));
}
