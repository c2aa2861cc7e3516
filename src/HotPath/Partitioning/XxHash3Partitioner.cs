namespace HotPath.Partitioning;

/// <summary>
/// The default partitioner, exposed as <see cref="Partitioner.XxHash3"/>: XXH3-64 (seed 0) of the key bytes,
/// reduced with Lemire's multiply-shift on the upper 32 bits of the hash.
/// </summary>
/// <remarks>Thread safety: stateless, safe from any thread.</remarks>
internal sealed class XxHash3Partitioner : Partitioner
{
    /// <inheritdoc/>
    public override string Name => "XxHash3";

    /// <inheritdoc/>
    public override int PartitionFor(ReadOnlySpan<byte> key, int partitionCount)
    {
        if (partitionCount < 1)
        {
            Internal.ThrowHelper.ArgumentOutOfRange(nameof(partitionCount), "must be at least 1", partitionCount);
        }

        ulong hash = System.IO.Hashing.XxHash3.HashToUInt64(key);

        // (hi32 * n) >> 32 lies in [0, n) because hi32 < 2^32; no division needed.
        return (int)(((ulong)(uint)(hash >> 32) * (uint)partitionCount) >> 32);
    }
}
