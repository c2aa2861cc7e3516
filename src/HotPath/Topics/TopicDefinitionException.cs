namespace HotPath.Topics;

/// <summary>
/// A topic definition file could not be read, is not valid JSON, or breaks a rule. The message names the file, the
/// field and the problem, e.g. <c>topics.json: [1].partitions: must be at least 1, was 0</c>.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed class TopicDefinitionException : FormatException
{
    /// <summary>Creates the exception; the message is built from the parts.</summary>
    /// <param name="file">The file (or source name) that was read.</param>
    /// <param name="field">
    /// Where in the file: <c>partitions</c> in a single object, <c>[1].partitions</c> in an array, or null when the
    /// problem concerns the whole file.
    /// </param>
    /// <param name="problem">What is wrong, with the actual value.</param>
    /// <param name="innerException">The underlying error (I/O, JSON syntax), or null.</param>
    public TopicDefinitionException(string file, string? field, string problem, Exception? innerException = null)
        : base(field is null ? $"{file}: {problem}" : $"{file}: {field}: {problem}", innerException)
    {
        File = file;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file (or source name) that was read.</summary>
    public string File { get; }

    /// <summary>The field at fault (<c>[1].partitions</c> in an array), or null when the whole file is at fault.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the file and field.</summary>
    public string Problem { get; }
}
