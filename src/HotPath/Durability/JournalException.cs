namespace HotPath.Durability;

/// <summary>
/// A durable topic's files cannot be used: the directory is missing or not writable, another process holds it, a file
/// has a format version this library does not read, or the disk refused a write. The message names the path and what to do.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public class JournalException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file or directory concerned.</param>
    /// <param name="message">What went wrong, naming the path, the rule and the value.</param>
    /// <param name="inner">The operating system's error, if any.</param>
    public JournalException(string path, string message, Exception? inner = null)
        : base(message, inner) => Path = path;

    /// <summary>The file or directory concerned.</summary>
    public string Path { get; }
}
