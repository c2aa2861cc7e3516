using Microsoft.Extensions.Configuration;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>The <c>HotPath</c> configuration section, read and checked: its <c>Topics</c> and <c>Groups</c> arrays.</summary>
/// <param name="Topics">The topic entries, in order.</param>
/// <param name="Groups">The group entries, in order.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal sealed record HotPathConfiguration(IReadOnlyList<ConfiguredTopic> Topics, IReadOnlyList<ConfiguredGroup> Groups)
{
    /// <summary>The keys of the section.</summary>
    public static readonly string[] Keys = ["Topics", "Groups"];

    /// <summary>Reads the section; an absent section (or none given) is empty.</summary>
    /// <param name="section">The section, or null.</param>
    /// <returns>The configuration.</returns>
    public static HotPathConfiguration Read(IConfigurationSection? section)
    {
        if (section is null || !section.Exists())
        {
            return new HotPathConfiguration([], []);
        }

        ConfigurationReader.CheckSection(section, Keys);
        ConfiguredTopic[] topics = [.. ConfigurationReader.Array(section, "Topics").Select(TopicConfigurationReader.Read)];
        ConfiguredGroup[] groups = [.. ConfigurationReader.Array(section, "Groups").Select(GroupConfigurationReader.Read)];
        CheckUnique(topics, static t => t.Options.Name, static t => t.KeyPaths["Name"], "topic");
        CheckUnique(groups, static g => g.Options.GroupId, static g => g.KeyPaths["GroupId"], "group");
        return new HotPathConfiguration(topics, groups);
    }

    private static void CheckUnique<TEntry>(TEntry[] entries, Func<TEntry, string> name, Func<TEntry, string> path, string what)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (TEntry entry in entries)
        {
            if (!seen.TryAdd(name(entry), path(entry)))
            {
                throw new HotPathConfigurationException(
                    path(entry), $"must be unique: {what} '{name(entry)}' is already configured at {seen[name(entry)]}");
            }
        }
    }
}
