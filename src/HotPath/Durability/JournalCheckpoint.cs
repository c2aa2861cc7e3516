namespace HotPath.Durability;

/// <summary>
/// The point up to which a partition's journal was verified and forced to stable storage: byte
/// <paramref name="Position"/> of the segment based at <paramref name="SegmentBase"/>, where offset
/// <paramref name="EndOffset"/> starts. Recovery treats a bad frame before it as corruption and one after it as a torn tail.
/// </summary>
/// <param name="SegmentBase">The base offset of the segment the checkpoint is in (the active one when it was written).</param>
/// <param name="Position">The byte position in that segment up to which the frames are whole.</param>
/// <param name="EndOffset">The offset at <paramref name="Position"/>.</param>
/// <remarks>Written whole or not at all: to a temporary file, forced to disk, then moved over the old one. Thread-safety: immutable.</remarks>
internal readonly record struct JournalCheckpoint(long SegmentBase, long Position, long EndOffset)
{
    private const int FrameSize = FrameLayout.HeaderSize + SegmentLayout.CheckpointBodySize;

    /// <summary>
    /// Reads the checkpoint of <paramref name="directory"/>, or null when there is none. A checkpoint that is not one
    /// whole frame throws <see cref="JournalCorruptionException"/>: it is only ever replaced whole.
    /// </summary>
    public static JournalCheckpoint? Load(string directory)
    {
        string path = Path.Combine(directory, SegmentLayout.CheckpointFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(path);
        FrameLayout.Status status = FrameLayout.TryRead(bytes, out ReadOnlySpan<byte> body, out int frameSize);
        if (status != FrameLayout.Status.Valid || frameSize != bytes.Length || body.Length != SegmentLayout.CheckpointBodySize)
        {
            throw new JournalCorruptionException(path, 0, $"the checkpoint is not one whole {FrameSize}-byte frame (frame status {status}, file length {bytes.Length})");
        }

        return SegmentLayout.ReadCheckpoint(body);
    }

    /// <summary>
    /// Replaces the checkpoint of <paramref name="directory"/> with this one (<see cref="AtomicFile.Replace"/>: forced,
    /// renamed, the directory forced, so a machine crash cannot bring back the older checkpoint).
    /// </summary>
    public void Save(string directory)
    {
        Span<byte> frame = stackalloc byte[FrameSize];
        SegmentLayout.WriteCheckpoint(frame[FrameLayout.HeaderSize..], SegmentBase, Position, EndOffset);
        FrameLayout.Seal(frame);
        AtomicFile.Replace(
            Path.Combine(directory, SegmentLayout.CheckpointFileName), Path.Combine(directory, SegmentLayout.CheckpointTempFileName), frame);
    }
}
