namespace HotPath.Kafka.Internal;

/// <summary>Kafka's naming rules, checked before a name reaches the client.</summary>
/// <remarks>Thread safety: pure functions, safe from any thread.</remarks>
internal static class KafkaNames
{
    public static void ValidateTopic(string name, string value)
    {
        if (value.Length is 0 or > 249 || value is "." or ".." ||
            !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException(
                $"{name} must be 1 to 249 characters of [a-zA-Z0-9._-] and not '.' or '..', as Kafka topic names are, was '{value}'",
                name);
        }
    }
}
