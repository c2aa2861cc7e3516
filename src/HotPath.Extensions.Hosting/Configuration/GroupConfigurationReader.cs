using System.Globalization;
using HotPath.Consumers;
using Microsoft.Extensions.Configuration;
using static HotPath.Extensions.Hosting.Configuration.ConfigurationReader;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>Reads one entry of <c>HotPath:Groups</c>: <see cref="ConsumerGroupOptions"/>, its topics, members and health threshold.</summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class GroupConfigurationReader
{
    /// <summary>The keys of a group entry.</summary>
    public static readonly string[] Keys =
    [
        "GroupId", "Topics", "Members", "DegradedLag", "AutoOffsetReset", "Assignor", "Protocol", "CommitMode", "WaitStrategy",
        "MaxBatchSize", "CoalesceBelow", "Cores", "RebalanceTimeout", "SessionTimeout", "MaxPollInterval", "ShutdownTimeout",
        "Lossy", "Isolation", "ReadJournaledOnly", "DurableOffsets", "ErrorPolicy",
    ];

    /// <summary>The keys of a group's <c>ErrorPolicy</c> section (<see cref="ErrorPolicy"/>).</summary>
    public static readonly string[] ErrorPolicyKeys = ["MaxAttempts", "InitialBackoff", "MaxBackoff", "AfterRetries", "DeadLetterTopic"];

    /// <summary>Reads and checks one group entry (the options are validated again, with the code's changes, when the group is created).</summary>
    /// <param name="entry">The entry's section.</param>
    /// <returns>The group.</returns>
    public static ConfiguredGroup Read(IConfigurationSection entry)
    {
        CheckSection(entry, Keys);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in Keys)
        {
            // The option names are the keys (Isolation, Cores, ...): a refused option maps back to its key.
            paths[key] = Child(entry, key).Path;
        }

        var options = new ConsumerGroupOptions { GroupId = RequiredString(entry, "GroupId") };
        if (Child(entry, "AutoOffsetReset").Exists())
        {
            options = options with { AutoOffsetReset = Named(entry, "AutoOffsetReset", ConfigurationNames.OffsetResets) };
        }

        if (Named(entry, "Assignor", ConfigurationNames.Assignors) is { } assignor)
        {
            options = options with { Assignor = assignor() };
        }

        if (Child(entry, "Protocol").Exists())
        {
            options = options with { Protocol = Named(entry, "Protocol", ConfigurationNames.Protocols) };
        }

        if (Child(entry, "CommitMode").Exists())
        {
            options = options with { CommitMode = Named(entry, "CommitMode", ConfigurationNames.CommitModes) };
        }

        if (Named(entry, "WaitStrategy", ConfigurationNames.WaitStrategies) is { } waitStrategy)
        {
            options = options with { WaitStrategy = waitStrategy };
        }

        options = ReadNumbers(entry, options);
        if (Child(entry, "Isolation").Exists())
        {
            options = options with { Isolation = Named(entry, "Isolation", ConfigurationNames.IsolationLevels) };
        }

        if (Strings(entry, "Cores") is { } cores)
        {
            options = options with { Cores = [.. cores.Select(ParseCore)] };
        }

        (string Value, string Path)? deadLetterTopic = null;
        IConfigurationSection errorPolicy = Child(entry, "ErrorPolicy");
        if (errorPolicy.Exists())
        {
            (ErrorPolicy policy, deadLetterTopic) = ReadErrorPolicy(errorPolicy, paths);
            options = options with { ErrorPolicy = policy };
        }

        IReadOnlyList<(string Value, string Path)>? topics = Strings(entry, "Topics");
        if (topics is { Count: 0 })
        {
            throw new HotPathConfigurationException(Child(entry, "Topics").Path, "must name at least one topic, was empty");
        }

        int? members = Int32(entry, "Members");
        if (members is < 1)
        {
            throw new HotPathConfigurationException(paths["Members"], $"must be at least 1, was {members}");
        }

        long? degradedLag = Int64(entry, "DegradedLag");
        if (degradedLag is < 0)
        {
            throw new HotPathConfigurationException(paths["DegradedLag"], $"must be at least 0, was {degradedLag}");
        }

        paths[nameof(ConsumerGroupOptions.GroupId)] = Child(entry, "GroupId").Path;
        OptionChecks.Run(options.Validate, entry.Path, paths);
        return new ConfiguredGroup(options, topics, members, deadLetterTopic, degradedLag, entry.Path, paths);
    }

    private static ConsumerGroupOptions ReadNumbers(IConfigurationSection entry, ConsumerGroupOptions options)
    {
        if (Int32(entry, "MaxBatchSize") is int maxBatchSize)
        {
            options = options with { MaxBatchSize = maxBatchSize };
        }

        if (Int32(entry, "CoalesceBelow") is int coalesceBelow)
        {
            options = options with { CoalesceBelow = coalesceBelow };
        }

        if (Duration(entry, "RebalanceTimeout") is TimeSpan rebalanceTimeout)
        {
            options = options with { RebalanceTimeout = rebalanceTimeout };
        }

        if (Duration(entry, "SessionTimeout") is TimeSpan sessionTimeout)
        {
            options = options with { SessionTimeout = sessionTimeout };
        }

        if (Duration(entry, "MaxPollInterval") is TimeSpan maxPollInterval)
        {
            options = options with { MaxPollInterval = maxPollInterval };
        }

        if (Duration(entry, "ShutdownTimeout") is TimeSpan shutdownTimeout)
        {
            options = options with { ShutdownTimeout = shutdownTimeout };
        }

        if (Boolean(entry, "Lossy") is bool lossy)
        {
            options = options with { Lossy = lossy };
        }

        if (Boolean(entry, "ReadJournaledOnly") is bool readJournaledOnly)
        {
            options = options with { ReadJournaledOnly = readJournaledOnly };
        }

        if (Boolean(entry, "DurableOffsets") is bool durableOffsets)
        {
            options = options with { DurableOffsets = durableOffsets };
        }

        return options;
    }

    private static int ParseCore((string Value, string Path) core) =>
        int.TryParse(core.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new HotPathConfigurationException(core.Path, $"must be an integer (a core number), was '{core.Value}'");

    private static (ErrorPolicy Policy, (string Value, string Path)? DeadLetterTopic) ReadErrorPolicy(
        IConfigurationSection section, Dictionary<string, string> paths)
    {
        CheckSection(section, ErrorPolicyKeys);
        foreach (string key in ErrorPolicyKeys)
        {
            paths[key] = Child(section, key).Path;
        }

        var policy = new ErrorPolicy();
        if (Int32(section, "MaxAttempts") is int maxAttempts)
        {
            policy = policy with { MaxAttempts = maxAttempts };
        }

        if (Duration(section, "InitialBackoff") is TimeSpan initialBackoff)
        {
            policy = policy with { InitialBackoff = initialBackoff };
        }

        if (Duration(section, "MaxBackoff") is TimeSpan maxBackoff)
        {
            policy = policy with { MaxBackoff = maxBackoff };
        }

        if (Child(section, "AfterRetries").Exists())
        {
            policy = policy with { AfterRetries = Named(section, "AfterRetries", ConfigurationNames.ErrorActions) };
        }

        string? deadLetterTopic = String(section, "DeadLetterTopic");
        if (deadLetterTopic is { Length: 0 })
        {
            throw new HotPathConfigurationException(paths["DeadLetterTopic"], "must name a topic, was ''");
        }

        return (policy, deadLetterTopic is null ? null : (deadLetterTopic, paths["DeadLetterTopic"]));
    }
}
