using HotPath.Topics;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>A topic entry of the <c>HotPath:Topics</c> array, read and checked.</summary>
/// <param name="Options">The topic's options, validated.</param>
/// <param name="Path">The entry's key path, e.g. <c>HotPath:Topics:0</c>.</param>
/// <param name="KeyPaths">The key path of each option set from configuration, by option name.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed record ConfiguredTopic(TopicOptions Options, string Path, IReadOnlyDictionary<string, string> KeyPaths);
