namespace HotPath.Durability;

/// <summary>
/// A journal file holds bytes that cannot be what HotPath wrote there: recovery or a read stops rather than skip them.
/// A torn tail after the last checkpoint (a write cut short by a crash) is not corruption: recovery truncates it and
/// reports it; this exception is for damage inside data the journal had already verified, or in a sealed segment.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed class JournalCorruptionException : JournalException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The damaged file.</param>
    /// <param name="position">The byte position of the damaged record in the file.</param>
    /// <param name="reason">What is wrong there (a checksum mismatch, an impossible length, an offset out of order).</param>
    public JournalCorruptionException(string path, long position, string reason)
        : base(path, $"journal file '{path}' is corrupt at byte {position}: {reason}. Recovery stopped: restore the file from a copy, or move it away to drop its records") =>
        (Position, Reason) = (position, reason);

    /// <summary>The byte position of the damaged record in the file.</summary>
    public long Position { get; }

    /// <summary>What is wrong at <see cref="Position"/>.</summary>
    public string Reason { get; }
}
