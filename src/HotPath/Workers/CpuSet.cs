using System.Runtime.CompilerServices;

namespace HotPath.Workers;

/// <summary>
/// Linux <c>cpu_set_t</c>: a 1024-bit mask, 128 bytes, bit <c>n</c> of word <c>n / 64</c> selecting CPU <c>n</c>.
/// Always passed to the kernel whole, with <see cref="ByteLength"/> as its size.
/// </summary>
/// <remarks>
/// <code>
/// byte   0        8        16             120      128
///        +--------+--------+-- ... --+--------+
///        | word 0 | word 1 |         | word 15|   ulong words, little-endian bit order
///        +--------+--------+-- ... --+--------+
///        CPUs 0-63 64-127              960-1023
/// </code>
/// Thread safety: a value type; each thread uses its own copy on its stack.</remarks>
[InlineArray(WordCount)]
internal struct CpuSet
{
    /// <summary>Size in bytes of glibc's <c>cpu_set_t</c>.</summary>
    internal const int ByteLength = 128;

    /// <summary>Number of CPUs the mask can name.</summary>
    internal const int Capacity = ByteLength * 8;

    private const int WordCount = ByteLength / sizeof(ulong);

    private ulong _word0;

    /// <summary>Adds <paramref name="cpu"/> to the set.</summary>
    /// <param name="cpu">A CPU index in <c>[0, <see cref="Capacity"/>)</c>.</param>
    internal void Add(int cpu)
    {
        this[cpu >> 6] |= 1UL << (cpu & 63);
    }
}
