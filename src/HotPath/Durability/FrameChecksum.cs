using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HotPath.Durability;

/// <summary>
/// The journal's frame checksum: CRC-32 (IEEE 802.3), always the value <see cref="Crc32.HashToUInt32"/> of
/// System.IO.Hashing gives. Where the CPU multiplies carry-less on 512-bit vectors (AVX-512 with VPCLMULQDQ), bodies of
/// 512 bytes and more are folded 256 bytes per step, about four times the library's rate (a 64 KiB batch: 1.2 µs
/// instead of 4.8 µs on this project's benchmark machine, a quarter of the time of writing it to the page cache); where
/// it multiplies carry-less on 256-bit vectors only (AVX2 with VPCLMULQDQ, e.g. an EPYC virtual machine that does not
/// expose AVX-512), bodies of 256 bytes and more are folded 128 bytes per step; elsewhere (other x64 CPUs, ARM64, short
/// bodies) System.IO.Hashing computes it (128-bit folds of its own).
/// </summary>
/// <remarks>
/// <para>The fold (Intel's "Fast CRC Computation Using PCLMULQDQ", reflected form): the message, with the initial
/// value 0xFFFFFFFF xored into its first four bytes (or, for the second piece of a message, the register the first piece
/// left: <c>~crc(first)</c>), is read as lanes of 128 bits in four accumulators (16 lanes of a
/// 512-bit step, 8 of a 256-bit one); a step multiplies each lane's halves by x^(D+32) and x^(D-32) mod P (D = 2048 or
/// 1024 bits, the distance to the lane it is folded into) and xors the next step's bytes in. The accumulators are then
/// folded into the last (D = 512 or 256), its lanes into its last (D = 384, 256, 128, or 128), which leaves 16 bytes
/// whose CRC (without an initial value) is the message's. Those 16 bytes, with the initial value xored back in, and the
/// unread tail (under one step) go to System.IO.Hashing, which adds the initial value again and the final inversion: no
/// Barrett reduction of our own.</para>
/// <para>The constants are reflect32(x^n mod P) &lt;&lt; 1 for P = 0x104C11DB7; the test
/// <c>FrameChecksumTests</c> checks every length against System.IO.Hashing, through each fold this machine can run
/// (<see cref="Fold512"/>, <see cref="Fold256"/>). Thread-safety: stateless.</para>
/// </remarks>
internal static class FrameChecksum
{
    /// <summary>The shortest body folded with 512-bit vectors: two steps' worth; shorter ones gain nothing.</summary>
    public const int MinFold512Length = 2 * Step512Bytes;

    /// <summary>The shortest body folded with 256-bit vectors: two steps' worth.</summary>
    public const int MinFold256Length = 2 * Step256Bytes;

    private const int Step512Bytes = 256;

    private const int Step256Bytes = 128;

    /// <summary>True when this machine folds with 512-bit carry-less multiplies.</summary>
    public static bool IsFolded512 => Pclmulqdq.V512.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>True when this machine folds with 256-bit carry-less multiplies.</summary>
    public static bool IsFolded256 => Pclmulqdq.V256.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>What computes a 64 KiB body's checksum on this machine, for reports.</summary>
    public static string Method => IsFolded512
        ? "folded with 512-bit carry-less multiplies"
        : IsFolded256
            ? "folded with 256-bit carry-less multiplies (no 512-bit ones here)"
            : "System.IO.Hashing's (no 256- or 512-bit carry-less multiply here)";

    /// <summary>The CRC-32 of <paramref name="data"/>, equal to <c>Crc32.HashToUInt32(data)</c>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        if (data.Length >= MinFold512Length && IsFolded512)
        {
            return Fold512(data);
        }

        return data.Length >= MinFold256Length && IsFolded256 ? Fold256(data) : Crc32.HashToUInt32(data);
    }

    /// <summary>
    /// The CRC-32 of <paramref name="head"/> followed by <paramref name="body"/>, two pieces of one message in different
    /// memory (a journal batch's header in the staging buffer, its events in the ring), equal to
    /// <c>Crc32.HashToUInt32</c> of their concatenation. A long body is folded from the register the head leaves
    /// (<c>~crc(head)</c>, xored into its first bytes as the initial value is); otherwise <paramref name="scratch"/>
    /// (reset first) takes both pieces.
    /// </summary>
    public static uint Compute(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, Crc32 scratch)
    {
        if (body.Length >= MinFold512Length && IsFolded512)
        {
            return Fold512(body, ~Crc32.HashToUInt32(head));
        }

        if (body.Length >= MinFold256Length && IsFolded256)
        {
            return Fold256(body, ~Crc32.HashToUInt32(head));
        }

        scratch.Reset();
        scratch.Append(head);
        scratch.Append(body);
        return scratch.GetCurrentHashAsUInt32();
    }

    /// <summary>The 512-bit fold: <paramref name="data"/> holds at least <see cref="MinFold512Length"/> bytes; <see cref="IsFolded512"/>.</summary>
    /// <remarks>Compiled optimised from its first call: called once per journal batch, it would otherwise run its vector
    /// loop as unoptimised tier-0 code (every multiply a call) until tiered compilation promotes it (30 calls, then at
    /// least 100 ms without new tier-0 compilations: most of a first 2M-event run in a profile of the journal).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static uint Fold512(ReadOnlySpan<byte> data, uint initialRegister = 0xFFFFFFFF)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        Vector512<ulong> step = Constants512(0x11542778a, 0x1322d1430);
        Vector512<ulong> x0 = Vector512.LoadUnsafe(ref start).AsUInt64() ^ Vector512.CreateScalar((ulong)initialRegister);
        Vector512<ulong> x1 = Vector512.LoadUnsafe(ref start, 64).AsUInt64();
        Vector512<ulong> x2 = Vector512.LoadUnsafe(ref start, 128).AsUInt64();
        Vector512<ulong> x3 = Vector512.LoadUnsafe(ref start, 192).AsUInt64();
        nuint position = Step512Bytes;
        nuint last = (nuint)(data.Length - Step512Bytes);
        while (position <= last)
        {
            x0 = Multiply(x0, step) ^ Vector512.LoadUnsafe(ref start, position).AsUInt64();
            x1 = Multiply(x1, step) ^ Vector512.LoadUnsafe(ref start, position + 64).AsUInt64();
            x2 = Multiply(x2, step) ^ Vector512.LoadUnsafe(ref start, position + 128).AsUInt64();
            x3 = Multiply(x3, step) ^ Vector512.LoadUnsafe(ref start, position + 192).AsUInt64();
            position += Step512Bytes;
        }

        Vector512<ulong> by512 = Constants512(0x154442bd4, 0x1c6e41596);
        x1 ^= Multiply(x0, by512);
        x2 ^= Multiply(x1, by512);
        x3 ^= Multiply(x2, by512);
        Vector256<ulong> low = x3.GetLower();
        Vector256<ulong> high = x3.GetUpper();
        Vector128<ulong> folded = high.GetUpper()
            ^ Multiply(low.GetLower(), Vector128.Create(0x3db1ecdcUL, 0x174359406UL))
            ^ Multiply(low.GetUpper(), Vector128.Create(0xf1da05aaUL, 0x15a546366UL))
            ^ Multiply(high.GetLower(), Vector128.Create(0x1751997d0UL, 0xccaa009eUL));
        return Finish(folded, data[(int)position..]);
    }

    /// <summary>The 256-bit fold: <paramref name="data"/> holds at least <see cref="MinFold256Length"/> bytes; <see cref="IsFolded256"/>.</summary>
    /// <remarks>Compiled optimised from its first call: called once per journal batch, it would otherwise run its vector
    /// loop as unoptimised tier-0 code (every multiply a call) until tiered compilation promotes it (30 calls, then at
    /// least 100 ms without new tier-0 compilations: most of a first 2M-event run in a profile of the journal).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static uint Fold256(ReadOnlySpan<byte> data, uint initialRegister = 0xFFFFFFFF)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        Vector256<ulong> step = Constants256(0x1e88ef372, 0x14a7fe880);
        Vector256<ulong> x0 = Vector256.LoadUnsafe(ref start).AsUInt64() ^ Vector256.CreateScalar((ulong)initialRegister);
        Vector256<ulong> x1 = Vector256.LoadUnsafe(ref start, 32).AsUInt64();
        Vector256<ulong> x2 = Vector256.LoadUnsafe(ref start, 64).AsUInt64();
        Vector256<ulong> x3 = Vector256.LoadUnsafe(ref start, 96).AsUInt64();
        nuint position = Step256Bytes;
        nuint last = (nuint)(data.Length - Step256Bytes);
        while (position <= last)
        {
            x0 = Multiply(x0, step) ^ Vector256.LoadUnsafe(ref start, position).AsUInt64();
            x1 = Multiply(x1, step) ^ Vector256.LoadUnsafe(ref start, position + 32).AsUInt64();
            x2 = Multiply(x2, step) ^ Vector256.LoadUnsafe(ref start, position + 64).AsUInt64();
            x3 = Multiply(x3, step) ^ Vector256.LoadUnsafe(ref start, position + 96).AsUInt64();
            position += Step256Bytes;
        }

        Vector256<ulong> by256 = Constants256(0xf1da05aa, 0x15a546366);
        x1 ^= Multiply(x0, by256);
        x2 ^= Multiply(x1, by256);
        x3 ^= Multiply(x2, by256);
        Vector128<ulong> folded = x3.GetUpper() ^ Multiply(x3.GetLower(), Vector128.Create(0x1751997d0UL, 0xccaa009eUL));
        return Finish(folded, data[(int)position..]);
    }

    /// <summary>
    /// The CRC of the 16 folded bytes followed by the unread <paramref name="tail"/> (shorter than a 512-bit step), with
    /// the initial value xored back into the folded bytes since System.IO.Hashing applies it once more.
    /// </summary>
    private static uint Finish(Vector128<ulong> folded, ReadOnlySpan<byte> tail)
    {
        Span<byte> rest = stackalloc byte[16 + Step512Bytes];
        folded.AsByte().StoreUnsafe(ref MemoryMarshal.GetReference(rest));
        BinaryPrimitives.WriteUInt32LittleEndian(rest, BinaryPrimitives.ReadUInt32LittleEndian(rest) ^ 0xFFFFFFFF);
        tail.CopyTo(rest[16..]);
        return Crc32.HashToUInt32(rest[..(16 + tail.Length)]);
    }

    /// <summary>The pair (x^(D+32), x^(D-32)) in every 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Constants512(ulong low, ulong high) => Vector512.Create(Vector128.Create(low, high));

    /// <summary>The pair (x^(D+32), x^(D-32)) in both 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Constants256(ulong low, ulong high) => Vector256.Create(Vector128.Create(low, high));

    /// <summary>Per 128-bit lane: low half times the low constant xor high half times the high constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Multiply(Vector512<ulong> x, Vector512<ulong> k) =>
        Pclmulqdq.V512.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(x, k, 0x11);

    /// <summary>Per 128-bit lane: low half times the low constant xor high half times the high constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Multiply(Vector256<ulong> x, Vector256<ulong> k) =>
        Pclmulqdq.V256.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(x, k, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Multiply(Vector128<ulong> x, Vector128<ulong> k) =>
        Pclmulqdq.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, k, 0x11);
}
