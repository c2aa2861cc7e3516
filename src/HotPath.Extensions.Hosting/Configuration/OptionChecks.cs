namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>
/// Runs the core's option checks (<c>TopicOptions.Validate</c>, <c>ConsumerGroupOptions.Validate</c>, the group
/// constructor) on options read from configuration, and turns the <see cref="ArgumentException"/> they throw into a
/// <see cref="HotPathConfigurationException"/> naming the configuration key the refused option came from: the rules
/// stay in the core, written once.
/// </summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class OptionChecks
{
    /// <summary>Runs <paramref name="check"/>; an <see cref="ArgumentException"/> becomes a configuration error.</summary>
    /// <param name="check">The core's check.</param>
    /// <param name="sectionPath">The path of the entry, used when the option has no key of its own.</param>
    /// <param name="keyPaths">The key path of each option set from configuration, by option (property) name.</param>
    public static void Run(Action check, string sectionPath, IReadOnlyDictionary<string, string> keyPaths)
    {
        try
        {
            check();
        }
        catch (ArgumentException e)
        {
            string path = e.ParamName is not null && keyPaths.TryGetValue(e.ParamName, out string? keyPath) ? keyPath : sectionPath;
            throw new HotPathConfigurationException(path, RuleOf(e), e);
        }
    }

    /// <summary>The exception's own message: the first line, without the " (Parameter 'x')" the runtime appends.</summary>
    private static string RuleOf(ArgumentException e)
    {
        string message = e.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
        {
            message = message[..newline].TrimEnd('\r');
        }

        int parameter = e.ParamName is null ? -1 : message.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return parameter >= 0 ? message[..parameter] : message;
    }
}
