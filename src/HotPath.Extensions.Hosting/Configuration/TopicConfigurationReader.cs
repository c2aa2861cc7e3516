using HotPath.Durability;
using HotPath.Topics;
using Microsoft.Extensions.Configuration;
using static HotPath.Extensions.Hosting.Configuration.ConfigurationReader;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>
/// Reads one entry of <c>HotPath:Topics</c>: the seed's shape (<c>topic</c>, <c>partitions</c>,
/// <c>replicationFactor</c>, as <see cref="TopicDefinitions"/> reads them) plus the rest of <see cref="TopicOptions"/>.
/// </summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class TopicConfigurationReader
{
    /// <summary>The keys of a topic entry.</summary>
    public static readonly string[] Keys =
        ["Topic", "Partitions", "ReplicationFactor", "Capacity", "PublishMode", "WaitStrategy", "Partitioner", "Durability"];

    /// <summary>The keys of a topic's <c>Durability</c> section (<see cref="DurabilityOptions"/>).</summary>
    public static readonly string[] DurabilityKeys =
        ["Directory", "Sync", "SyncInterval", "SegmentBytes", "PreallocateSegments", "RetentionBytes", "RetentionTime", "MaxBatch", "JournallerCpu"];

    /// <summary>Reads and validates one topic entry.</summary>
    /// <param name="entry">The entry's section.</param>
    /// <returns>The topic.</returns>
    public static ConfiguredTopic Read(IConfigurationSection entry)
    {
        CheckSection(entry, Keys);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        string name = RequiredString(entry, "Topic");
        paths[nameof(TopicOptions.Name)] = Child(entry, "Topic").Path;
        int partitions = Int32(entry, "Partitions") ?? throw new HotPathConfigurationException(Child(entry, "Partitions").Path, "is required");
        paths[nameof(TopicOptions.PartitionCount)] = Child(entry, "Partitions").Path;
        var options = new TopicOptions { Name = name, PartitionCount = partitions };

        if (Int32(entry, "ReplicationFactor") is int replicationFactor)
        {
            options = options with { ReplicationFactor = replicationFactor };
        }

        if (Int32(entry, "Capacity") is int capacity)
        {
            options = options with { Capacity = capacity };
        }

        if (Child(entry, "PublishMode").Exists())
        {
            options = options with { PublishMode = Named(entry, "PublishMode", ConfigurationNames.PublishModes) };
        }

        if (Named(entry, "WaitStrategy", ConfigurationNames.WaitStrategies) is { } waitStrategy)
        {
            options = options with { WaitStrategy = waitStrategy };
        }

        if (Named(entry, "Partitioner", ConfigurationNames.Partitioners) is { } partitioner)
        {
            options = options with { Partitioner = partitioner };
        }

        foreach (string key in new[] { "ReplicationFactor", "Capacity", "PublishMode", "WaitStrategy", "Partitioner" })
        {
            paths[key] = Child(entry, key).Path;
        }

        IConfigurationSection durability = Child(entry, "Durability");
        if (durability.Exists())
        {
            options = options with { Durability = ReadDurability(durability, paths) };
        }

        OptionChecks.Run(options.Validate, entry.Path, paths);
        return new ConfiguredTopic(options, entry.Path, paths);
    }

    private static DurabilityOptions ReadDurability(IConfigurationSection section, Dictionary<string, string> paths)
    {
        CheckSection(section, DurabilityKeys);
        foreach (string key in DurabilityKeys)
        {
            // The option names are the keys: a refused option maps back to its key.
            paths[key] = Child(section, key).Path;
        }

        var options = new DurabilityOptions { Directory = RequiredString(section, "Directory") };
        if (Child(section, "Sync").Exists())
        {
            options = options with { Sync = Named(section, "Sync", ConfigurationNames.SyncPolicies) };
        }

        if (Duration(section, "SyncInterval") is TimeSpan syncInterval)
        {
            options = options with { SyncInterval = syncInterval };
        }

        if (Int64(section, "SegmentBytes") is long segmentBytes)
        {
            options = options with { SegmentBytes = segmentBytes };
        }

        if (Boolean(section, "PreallocateSegments") is bool preallocate)
        {
            options = options with { PreallocateSegments = preallocate };
        }

        if (Int64(section, "RetentionBytes") is long retentionBytes)
        {
            options = options with { RetentionBytes = retentionBytes };
        }

        if (Duration(section, "RetentionTime") is TimeSpan retentionTime)
        {
            options = options with { RetentionTime = retentionTime };
        }

        if (Int32(section, "MaxBatch") is int maxBatch)
        {
            options = options with { MaxBatch = maxBatch };
        }

        if (Int32(section, "JournallerCpu") is int journallerCpu)
        {
            options = options with { JournallerCpu = journallerCpu };
        }

        return options;
    }
}
