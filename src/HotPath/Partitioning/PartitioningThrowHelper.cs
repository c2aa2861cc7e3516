using System.Diagnostics.CodeAnalysis;

namespace HotPath.Partitioning;

/// <summary>
/// Throw helpers for key partitioning and worker pinning. Keeping the <c>throw</c> out of the callers keeps their
/// fast paths small enough to inline. To be folded into <c>Internal/ThrowHelper</c> once that exists.
/// </summary>
internal static class PartitioningThrowHelper
{
    /// <summary>Throws because a partition count is below 1.</summary>
    /// <param name="partitionCount">The rejected partition count.</param>
    [DoesNotReturn]
    internal static void ThrowPartitionCountOutOfRange(int partitionCount) =>
        throw new ArgumentOutOfRangeException(
            nameof(partitionCount),
            $"{nameof(partitionCount)} must be at least 1, was {partitionCount}");

    /// <summary>Throws because a key that must not be null was null.</summary>
    /// <param name="paramName">The name of the null parameter.</param>
    [DoesNotReturn]
    internal static void ThrowKeyNull(string paramName) =>
        throw new ArgumentNullException(paramName, $"{paramName} must not be null; pass an empty key instead.");

    /// <summary>Throws because a CPU index lies outside <c>[0, Environment.ProcessorCount)</c>.</summary>
    /// <param name="cpu">The rejected CPU index.</param>
    /// <param name="processorCount">The value of <see cref="Environment.ProcessorCount"/> checked against.</param>
    [DoesNotReturn]
    internal static void ThrowCpuOutOfRange(int cpu, int processorCount) =>
        throw new ArgumentOutOfRangeException(
            nameof(cpu),
            $"{nameof(cpu)} must be in [0, {processorCount}) (Environment.ProcessorCount), was {cpu}");
}
