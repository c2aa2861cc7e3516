using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace HotPath.Partitioning;

/// <summary>
/// Routes a record key to a partition of a topic. The same key and partition count always give the same partition,
/// which is what keeps per-key order when a topic is split across partitions.
/// </summary>
/// <remarks>
/// <para>
/// Implementations hash bytes in <see cref="PartitionFor(ReadOnlySpan{byte}, int)"/>. The typed overloads encode the
/// key on the stack (strings longer than a stack threshold use a pooled buffer) through the protected encoding
/// hooks, then hash those bytes; they do not allocate. Keyless records are not routed here: the topic picks their
/// partition.
/// </para>
/// <para>Thread safety: the built-in partitioners are stateless and safe to share across threads. Implementations
/// must be too.</para>
/// </remarks>
public abstract class Partitioner
{
    /// <summary>
    /// Size of the buffer handed to <see cref="WriteGuidKey(Guid, Span{byte})"/>, enough for any of
    /// <see cref="Guid"/>'s text formats.
    /// </summary>
    protected const int MaxGuidKeyLength = 68;

    // UTF-8 keys up to this many bytes are encoded on the stack; longer ones use a pooled array.
    private const int StackKeyLimit = 256;

    /// <summary>Initializes a new partitioner.</summary>
    /// <remarks>Thread safety: not applicable (construction).</remarks>
    protected Partitioner()
    {
    }

    /// <summary>
    /// The default partitioner: XXH3 (64-bit, seed 0) of the key bytes, reduced to a partition with Lemire's
    /// multiply-shift on the upper 32 hash bits, <c>(int)(((ulong)(uint)(hash &gt;&gt; 32) * (uint)partitionCount) &gt;&gt; 32)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The reduction needs no division. Its bias is the same as a modulo's: for a uniform 32-bit input every
    /// partition receives either floor(2^32 / n) or ceil(2^32 / n) of the inputs, a relative difference under
    /// n / 2^32, which is invisible for any realistic partition count.
    /// </para>
    /// <para>
    /// Typed-key encodings: <see cref="string"/> as UTF-8 (unpaired surrogates become U+FFFD);
    /// <see cref="int"/> and <see cref="long"/> as little-endian two's complement (4 and 8 bytes);
    /// <see cref="Guid"/> as the 16 bytes of <see cref="Guid.TryWriteBytes(Span{byte})"/> (.NET's little-endian
    /// layout, as <see cref="Guid.ToByteArray()"/>).
    /// </para>
    /// <para>Thread safety: a stateless singleton, safe from any thread.</para>
    /// </remarks>
    public static Partitioner XxHash3 { get; } = new XxHash3Partitioner();

    /// <summary>
    /// Apache Kafka's default partitioner for keyed records: <see cref="KafkaPartitioner.PartitionForKey"/>, with
    /// typed keys encoded exactly as the Java client's serializers encode them, so a key lands on the partition a
    /// Java producer would choose.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Typed-key encodings: <see cref="string"/> as <c>StringSerializer</c> does, UTF-8, with an unpaired surrogate
    /// becoming <c>'?'</c> (0x3F) as in Java's <c>String.getBytes(UTF_8)</c>; <see cref="int"/> as
    /// <c>IntegerSerializer</c>, 4 bytes big-endian; <see cref="long"/> as <c>LongSerializer</c>, 8 bytes
    /// big-endian; <see cref="Guid"/> as <c>UUIDSerializer</c>, the UTF-8 of the 36-character lowercase canonical
    /// form (<c>Guid.ToString("D")</c>, equal to Java's <c>UUID.toString()</c> for the UUID with the same text).
    /// </para>
    /// <para>Thread safety: a stateless singleton, safe from any thread.</para>
    /// </remarks>
    public static Partitioner Kafka { get; } = new KafkaMurmur2Partitioner();

    /// <summary>A short name identifying the algorithm, e.g. for configuration and diagnostics.</summary>
    /// <remarks>Thread safety: immutable, safe from any thread.</remarks>
    public abstract string Name { get; }

    /// <summary>
    /// The encoding of <see cref="string"/> keys. Defaults to <see cref="Encoding.UTF8"/>.
    /// </summary>
    /// <remarks>Thread safety: must return a shared immutable instance; read on every string key.</remarks>
    protected virtual Encoding StringKeyEncoding => Encoding.UTF8;

    /// <summary>Maps key bytes to a partition.</summary>
    /// <param name="key">The key bytes; an empty span is a key like any other.</param>
    /// <param name="partitionCount">The number of partitions; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>, the same for equal keys and counts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>Thread safety: safe from any thread. Does not allocate.</remarks>
    public abstract int PartitionFor(ReadOnlySpan<byte> key, int partitionCount);

    /// <summary>Maps a string key to a partition, hashing it in this partitioner's string encoding.</summary>
    /// <param name="key">The key; must not be null. An empty string is a key like any other.</param>
    /// <param name="partitionCount">The number of partitions; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>
    /// Thread safety: safe from any thread. Does not allocate: keys up to 256 encoded bytes are encoded on the stack,
    /// longer ones into an array rented from <see cref="ArrayPool{T}.Shared"/>. With a <see cref="UTF8Encoding"/> (the
    /// built-in partitioners), an ASCII key of up to 256 characters is narrowed to its bytes directly, the same bytes the
    /// encoder writes: a string key and its UTF-8 bytes always land on the same partition.
    /// </remarks>
    public int PartitionFor(string key, int partitionCount)
    {
        if (key is null)
        {
            Internal.ThrowHelper.ArgumentNull(nameof(key), "pass an empty key instead.");
        }

        if (partitionCount < 1)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(partitionCount), "must be at least 1", partitionCount);
        }

        Encoding encoding = StringKeyEncoding;
        if (key.Length <= StackKeyLimit && encoding is UTF8Encoding)
        {
            // ASCII text, the usual key: every UTF-8 encoder (Kafka's too) writes each char as its own one byte, so a
            // vectorised narrowing gives the encoder's bytes without the encoder's per-call work. Other text falls through.
            Span<byte> narrowed = stackalloc byte[key.Length];
            if (TryNarrowAscii(key, narrowed))
            {
                return PartitionFor(narrowed, partitionCount);
            }
        }

        if (key.Length < StackKeyLimit && encoding.GetMaxByteCount(key.Length) <= StackKeyLimit)
        {
            Span<byte> buffer = stackalloc byte[StackKeyLimit];
            int written = encoding.GetBytes(key.AsSpan(), buffer);
            return PartitionFor(buffer.Slice(0, written), partitionCount);
        }

        return PartitionForLongString(key, encoding, partitionCount);
    }

    /// <summary>Maps a 32-bit integer key to a partition, hashing it in this partitioner's integer encoding.</summary>
    /// <param name="key">The key.</param>
    /// <param name="partitionCount">The number of partitions; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>Thread safety: safe from any thread. Does not allocate.</remarks>
    public int PartitionFor(int key, int partitionCount)
    {
        Span<byte> buffer = stackalloc byte[sizeof(int)];
        WriteInt32Key(key, buffer);
        return PartitionFor(buffer, partitionCount);
    }

    /// <summary>Maps a 64-bit integer key to a partition, hashing it in this partitioner's integer encoding.</summary>
    /// <param name="key">The key.</param>
    /// <param name="partitionCount">The number of partitions; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>Thread safety: safe from any thread. Does not allocate.</remarks>
    public int PartitionFor(long key, int partitionCount)
    {
        Span<byte> buffer = stackalloc byte[sizeof(long)];
        WriteInt64Key(key, buffer);
        return PartitionFor(buffer, partitionCount);
    }

    /// <summary>Maps a <see cref="Guid"/> key to a partition, hashing it in this partitioner's GUID encoding.</summary>
    /// <param name="key">The key.</param>
    /// <param name="partitionCount">The number of partitions; at least 1.</param>
    /// <returns>A partition in <c>[0, partitionCount)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    /// <remarks>Thread safety: safe from any thread. Does not allocate.</remarks>
    public int PartitionFor(Guid key, int partitionCount)
    {
        Span<byte> buffer = stackalloc byte[MaxGuidKeyLength];
        int written = WriteGuidKey(key, buffer);
        return PartitionFor(buffer.Slice(0, written), partitionCount);
    }

    /// <summary>Writes the bytes an <see cref="int"/> key is hashed as. Defaults to 4 bytes little-endian.</summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">Exactly 4 bytes to fill.</param>
    /// <remarks>Thread safety: must be a pure function of its arguments.</remarks>
    protected virtual void WriteInt32Key(int key, Span<byte> destination) =>
        BinaryPrimitives.WriteInt32LittleEndian(destination, key);

    /// <summary>Writes the bytes a <see cref="long"/> key is hashed as. Defaults to 8 bytes little-endian.</summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">Exactly 8 bytes to fill.</param>
    /// <remarks>Thread safety: must be a pure function of its arguments.</remarks>
    protected virtual void WriteInt64Key(long key, Span<byte> destination) =>
        BinaryPrimitives.WriteInt64LittleEndian(destination, key);

    /// <summary>
    /// Writes the bytes a <see cref="Guid"/> key is hashed as. Defaults to the 16 bytes of
    /// <see cref="Guid.TryWriteBytes(Span{byte})"/> (.NET's little-endian layout).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">A buffer of <see cref="MaxGuidKeyLength"/> bytes.</param>
    /// <returns>The number of bytes written, at most <see cref="MaxGuidKeyLength"/>.</returns>
    /// <remarks>Thread safety: must be a pure function of its arguments.</remarks>
    protected virtual int WriteGuidKey(Guid key, Span<byte> destination)
    {
        key.TryWriteBytes(destination);
        return 16;
    }

    /// <summary>
    /// Writes the ASCII <paramref name="key"/> as its bytes into <paramref name="destination"/> (of the key's length);
    /// false when a char is not ASCII (then the destination holds no meaning).
    /// </summary>
    /// <remarks>
    /// Shaped for the hash that reads the bytes right after: a key of 8 to 32 chars is written as two overlapping
    /// halves, 8 or 16 bytes each, at its start and its end, which is where XXH3 (and murmur2, 4 bytes at a time)
    /// load them from. A load that spans two earlier, smaller stores cannot be forwarded from the store buffer and
    /// waits for them to retire: narrowing 4 chars per store (System.Text.Ascii's short-input loop) made a 16-char key
    /// cost 14 ns to route against 2.7 ns for its 16 bytes; shaped this way, 5.5 ns.
    /// </remarks>
    private static bool TryNarrowAscii(ReadOnlySpan<char> key, Span<byte> destination)
    {
        ReadOnlySpan<ushort> chars = MemoryMarshal.Cast<char, ushort>(key);
        int length = chars.Length;
        Vector128<ushort> nonAscii = Vector128.Create((ushort)0xFF80);
        if (length is >= 16 and <= 32)
        {
            Vector128<ushort> a = Vector128.Create(chars[..8]);
            Vector128<ushort> b = Vector128.Create(chars[8..16]);
            Vector128<ushort> c = Vector128.Create(chars[(length - 16)..(length - 8)]);
            Vector128<ushort> d = Vector128.Create(chars[(length - 8)..]);
            if (((a | b | c | d) & nonAscii) != Vector128<ushort>.Zero)
            {
                return false;
            }

            Vector128.Narrow(a, b).CopyTo(destination);
            Vector128.Narrow(c, d).CopyTo(destination[(length - 16)..]);
            return true;
        }

        if (length is >= 8 and < 16)
        {
            Vector128<ushort> a = Vector128.Create(chars[..8]);
            Vector128<ushort> d = Vector128.Create(chars[(length - 8)..]);
            if (((a | d) & nonAscii) != Vector128<ushort>.Zero)
            {
                return false;
            }

            Vector128<ulong> halves = Vector128.Narrow(a, d).AsUInt64();
            BinaryPrimitives.WriteUInt64LittleEndian(destination, halves.GetElement(0));
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(length - 8)..], halves.GetElement(1));
            return true;
        }

        return Ascii.FromUtf16(key, destination, out _) == OperationStatus.Done;
    }

    // Rare path, kept out of PartitionFor(string, int) so that method stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int PartitionForLongString(string key, Encoding encoding, int partitionCount)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(encoding.GetByteCount(key));
        try
        {
            int written = encoding.GetBytes(key.AsSpan(), rented.AsSpan());
            return PartitionFor(rented.AsSpan(0, written), partitionCount);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
