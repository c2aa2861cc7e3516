namespace HotPath.Extensions.Hosting;

/// <summary>
/// A value of the <c>HotPath</c> configuration section breaks a rule: an unknown key, an unknown name, a value that
/// does not parse or is out of range. The message names the key path (e.g. <c>HotPath:Topics:0:Partitioner</c>), the
/// rule and the value; the host fails to start.
/// </summary>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed class HotPathConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The configuration key path of the offending value.</param>
    /// <param name="message">The rule and the value.</param>
    /// <param name="innerException">The option check that refused the value, or null.</param>
    /// <remarks>Thread-safety: not applicable (construction).</remarks>
    public HotPathConfigurationException(string path, string message, Exception? innerException = null)
        : base($"{path}: {message}", innerException) => Path = path;

    /// <summary>The configuration key path of the offending value, e.g. <c>HotPath:Topics:0:Partitioner</c>.</summary>
    /// <remarks>Thread-safety: immutable.</remarks>
    public string Path { get; }
}
