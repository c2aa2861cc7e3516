using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>A group entry of the <c>HotPath:Groups</c> array, read and checked.</summary>
/// <param name="Options">The group's options from configuration (its dead-letter topic still a name).</param>
/// <param name="Topics">The names of the topics it reads, with their key paths, or null when configuration names none.</param>
/// <param name="Members">How many members to start, or null when configuration does not say.</param>
/// <param name="DeadLetterTopic">The name of the dead-letter topic, with its key path, or null.</param>
/// <param name="DegradedLag">The lag above which the health check reports the group degraded, or null.</param>
/// <param name="Path">The entry's key path, e.g. <c>HotPath:Groups:0</c>.</param>
/// <param name="KeyPaths">The key path of each option set from configuration, by option name.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed record ConfiguredGroup(
    ConsumerGroupOptions Options,
    IReadOnlyList<(string Value, string Path)>? Topics,
    int? Members,
    (string Value, string Path)? DeadLetterTopic,
    long? DegradedLag,
    string Path,
    IReadOnlyDictionary<string, string> KeyPaths);
