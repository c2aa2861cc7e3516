using System.Buffers.Binary;
using System.Text;

namespace HotPath.Partitioning;

/// <summary>
/// Kafka's default keyed partitioner, exposed as <see cref="Partitioner.Kafka"/>: murmur2 of the key bytes, with
/// typed keys encoded as Kafka's Java serializers encode them.
/// </summary>
/// <remarks>Thread safety: stateless, safe from any thread.</remarks>
internal sealed class KafkaMurmur2Partitioner : Partitioner
{
    // UTF-8 that writes '?' for an unpaired surrogate, as Java's String.getBytes(UTF_8) does, where .NET's
    // Encoding.UTF8 would write U+FFFD (EF BF BD). Valid text encodes identically.
    private static readonly Encoding s_javaUtf8 = CreateJavaUtf8();

    /// <inheritdoc/>
    public override string Name => "Kafka";

    /// <inheritdoc/>
    protected override Encoding StringKeyEncoding => s_javaUtf8;

    /// <inheritdoc/>
    public override int PartitionFor(ReadOnlySpan<byte> key, int partitionCount) =>
        KafkaPartitioner.PartitionForKey(key, partitionCount);

    /// <summary>IntegerSerializer: 4 bytes big-endian.</summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">Exactly 4 bytes to fill.</param>
    protected override void WriteInt32Key(int key, Span<byte> destination) =>
        BinaryPrimitives.WriteInt32BigEndian(destination, key);

    /// <summary>LongSerializer: 8 bytes big-endian.</summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">Exactly 8 bytes to fill.</param>
    protected override void WriteInt64Key(long key, Span<byte> destination) =>
        BinaryPrimitives.WriteInt64BigEndian(destination, key);

    /// <summary>UUIDSerializer: UTF-8 of the lowercase canonical 36-character form.</summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">A buffer of <see cref="Partitioner.MaxGuidKeyLength"/> bytes.</param>
    /// <returns>36, the number of bytes written.</returns>
    protected override int WriteGuidKey(Guid key, Span<byte> destination)
    {
        // "D" is xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in lowercase hex, the format of Java's UUID.toString().
        key.TryFormat(destination, out int written, "D");
        return written;
    }

    private static Encoding CreateJavaUtf8()
    {
        var encoding = (Encoding)new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).Clone();
        encoding.EncoderFallback = new EncoderReplacementFallback("?");
        return encoding;
    }
}
