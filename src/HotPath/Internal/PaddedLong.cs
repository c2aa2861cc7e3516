using System.Runtime.InteropServices;

namespace HotPath.Internal;

/// <summary>
/// A <see cref="long"/> with 128 bytes of padding on each side, so that no other field written by another
/// thread shares its cache line, nor the adjacent line that x64's spatial prefetcher pulls in with it
/// (the reason for 128 rather than 64 bytes; Apple/ARM64 parts also have 128-byte lines).
/// </summary>
/// <remarks>
/// Every sequence that two threads touch (a partition's cursor, a group's committed offset, a writer's
/// cached gating value) lives in one of these. Layout, asserted by a test:
/// <code>
///   0        128      136                 256
///   | pad    | Value  | pad               |
/// </code>
/// The struct carries no ordering semantics of its own: call sites use <see cref="Volatile"/> or
/// <see cref="Interlocked"/> on <see cref="Value"/> and say why.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PaddedLong
{
    /// <summary>Total size in bytes.</summary>
    public const int Size = 256;

    /// <summary>Offset of <see cref="Value"/> from the start of the struct.</summary>
    public const int ValueOffset = 128;

    /// <summary>The padded value.</summary>
    [FieldOffset(ValueOffset)]
    public long Value;
}
