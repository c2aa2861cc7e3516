namespace HotPath.CrashChild;

/// <summary>
/// The event the crash child publishes: its key, its per-key sequence number (from 0, one apart) and a checksum of both,
/// so a reader can tell an intact event from torn or stray bytes.
/// </summary>
/// <remarks>Thread-safety: a value type; copies are independent.</remarks>
public struct CrashEvent
{
    /// <summary>The key (also the routing key).</summary>
    public long Key;

    /// <summary>The key's sequence number.</summary>
    public long Seq;

    /// <summary>A mix of <see cref="Key"/> and <see cref="Seq"/>; see <see cref="ChecksumOf"/>.</summary>
    public long Checksum;

    /// <summary>Builds the event with its checksum.</summary>
    /// <param name="key">The key.</param>
    /// <param name="seq">The key's sequence number.</param>
    /// <returns>The event.</returns>
    public static CrashEvent Create(long key, long seq) => new() { Key = key, Seq = seq, Checksum = ChecksumOf(key, seq) };

    /// <summary>True when <see cref="Checksum"/> matches the other fields (and is not zero, as in a zeroed slot).</summary>
    public readonly bool IsIntact => Checksum != 0 && Checksum == ChecksumOf(Key, Seq);

    /// <summary>SplitMix64 finaliser over the key and sequence number; never 0 for the values the child uses.</summary>
    /// <param name="key">The key.</param>
    /// <param name="seq">The sequence number.</param>
    /// <returns>The checksum.</returns>
    public static long ChecksumOf(long key, long seq)
    {
        ulong z = unchecked(((ulong)key * 0x9E3779B97F4A7C15UL) ^ ((ulong)seq + 0xBF58476D1CE4E5B9UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)(z ^ (z >> 31)) | 1;
    }

    /// <inheritdoc/>
    public override readonly string ToString() => $"key {Key} seq {Seq} checksum {Checksum:X}";
}
