using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Extensions.Hosting.Configuration;
using HotPath.Extensions.Hosting.Logging;
using HotPath.Topics;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>
/// Builds the topics and groups of a <see cref="HotPathSetup"/>: reads the configuration, matches its entries with the
/// code's registrations (every entry must match one), merges configuration and code, and creates the topics (logging
/// what a durable topic recovered), then the groups (with the logging hooks, no member yet).
/// </summary>
/// <remarks>Thread-safety: one call at a time (the registry's construction).</remarks>
internal static class RegistryFactory
{
    /// <summary>Creates everything; on failure disposes what it created and throws.</summary>
    /// <param name="setup">The registrations.</param>
    /// <param name="services">The container.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="topics">The topics created, by name.</param>
    /// <param name="groups">The groups created, by id.</param>
    public static void Build(
        HotPathSetup setup, IServiceProvider services, ILogger logger, List<ITopicHandle> topics, List<IGroupHandle> groups)
    {
        HotPathConfiguration configuration = HotPathConfiguration.Read(setup.Section);
        CheckEveryEntryRegistered(configuration, setup);
        try
        {
            foreach (ITopicRegistration registration in setup.Topics)
            {
                ITopicHandle topic = CreateTopic(registration, configuration.Topics.FirstOrDefault(t => t.Options.Name == registration.Name));
                topics.Add(topic);
                LogRecovery(logger, topic);
            }

            foreach (IGroupRegistration registration in setup.Groups)
            {
                ConfiguredGroup? configured = configuration.Groups.FirstOrDefault(g => g.Options.GroupId == registration.GroupId);
                groups.Add(CreateGroup(registration, configured, topics, services, logger));
            }
        }
        catch
        {
            // Nothing may outlive a failed start: a group's cursors would gate the writers, a durable topic would keep its directory locked.
            groups.ForEach(static g => g.Dispose());
            topics.ForEach(static t => t.Dispose());
            throw;
        }
    }

    private static void CheckEveryEntryRegistered(HotPathConfiguration configuration, HotPathSetup setup)
    {
        foreach (ConfiguredTopic topic in configuration.Topics)
        {
            if (!setup.Topics.Any(t => t.Name == topic.Options.Name))
            {
                throw new HotPathConfigurationException(
                    topic.KeyPaths[nameof(TopicOptions.Name)],
                    $"topic '{topic.Options.Name}' is configured but not registered: call AddTopic<TEvent>(\"{topic.Options.Name}\") in AddHotPath (registered: {Names(setup.Topics.Select(t => t.Name))})");
            }
        }

        foreach (ConfiguredGroup group in configuration.Groups)
        {
            if (!setup.Groups.Any(g => g.GroupId == group.Options.GroupId))
            {
                throw new HotPathConfigurationException(
                    group.KeyPaths[nameof(ConsumerGroupOptions.GroupId)],
                    $"group '{group.Options.GroupId}' is configured but not registered: call AddGroup<TEvent>(\"{group.Options.GroupId}\") in AddHotPath (registered: {Names(setup.Groups.Select(g => g.GroupId))})");
            }
        }
    }

    private static ITopicHandle CreateTopic(ITopicRegistration registration, ConfiguredTopic? configured)
    {
        TopicOptions options = configured?.Options ?? new TopicOptions { Name = registration.Name };
        if (registration.Configure is { } configure)
        {
            options = configure(options) ?? throw new InvalidOperationException($"AddTopic(\"{registration.Name}\"): configure returned null");
            if (options.Name != registration.Name)
            {
                throw new InvalidOperationException(
                    $"AddTopic(\"{registration.Name}\"): configure must keep the topic's name, changed it to '{options.Name}'");
            }
        }

        if (configured is null)
        {
            return registration.Create(options);
        }

        ITopicHandle? topic = null;
        OptionChecks.Run(() => topic = registration.Create(options), configured.Path, configured.KeyPaths);
        return topic!;
    }

    private static IGroupHandle CreateGroup(
        IGroupRegistration registration, ConfiguredGroup? configured, List<ITopicHandle> topics, IServiceProvider services, ILogger logger)
    {
        string codePath = $"AddGroup(\"{registration.GroupId}\")";
        if (registration.Handler is null)
        {
            throw new InvalidOperationException(
                $"group '{registration.GroupId}' has no handler: call UseHandler, UseBatchHandler or UseAsyncHandler on {codePath}");
        }

        IReadOnlyList<(string Value, string Path)> topicNames = configured?.Topics
            ?? registration.Topics?.Select(t => (t, $"{codePath}.Topics")).ToArray()
            ?? throw new InvalidOperationException(
                $"group '{registration.GroupId}' names no topic: set {configured?.Path ?? "HotPath:Groups:N"}:Topics in configuration or call Topics(...) on {codePath}");
        ITopicHandle[] groupTopics = [.. topicNames.Select(name => FindTopic(topics, name.Value, name.Path, registration.EventType))];

        ConsumerGroupOptions options = configured?.Options ?? new ConsumerGroupOptions { GroupId = registration.GroupId };
        if (configured?.DeadLetterTopic is (string deadLetter, string deadLetterPath))
        {
            ITopicHandle target = FindTopic(topics, deadLetter, deadLetterPath, eventType: null);
            options = options with { ErrorPolicy = options.ErrorPolicy with { DeadLetterTopic = target.Topic } };
        }

        if (registration.Configure is { } configure)
        {
            options = configure(options) ?? throw new InvalidOperationException($"{codePath}: Configure returned null");
            if (options.GroupId != registration.GroupId)
            {
                throw new InvalidOperationException($"{codePath}: Configure must keep the group id, changed it to '{options.GroupId}'");
            }
        }

        options = GroupLogging.Attach(logger, options);
        int members = configured?.Members ?? registration.Members ?? 1;
        long? degradedLag = configured?.DegradedLag ?? registration.DegradedLag;
        if (configured is null)
        {
            return registration.Create(groupTopics, options, members, degradedLag, services);
        }

        IGroupHandle? group = null;
        OptionChecks.Run(() => group = registration.Create(groupTopics, options, members, degradedLag, services), configured.Path, configured.KeyPaths);
        return group!;
    }

    private static ITopicHandle FindTopic(List<ITopicHandle> topics, string name, string path, Type? eventType)
    {
        ITopicHandle topic = topics.FirstOrDefault(t => t.Name == name)
            ?? throw new HotPathConfigurationException(path, $"must name a registered topic ({Names(topics.Select(t => t.Name))}), was '{name}'");
        if (eventType is not null && topic.EventType != eventType)
        {
            throw new HotPathConfigurationException(
                path, $"must name a topic of {eventType.Name} events (the group's type), was '{name}', a topic of {topic.EventType.Name} events");
        }

        return topic;
    }

    private static void LogRecovery(ILogger logger, ITopicHandle topic)
    {
        if (topic.Recovery is not { IsNew: false } recovery)
        {
            return;
        }

        foreach (PartitionRecovery partition in recovery.Partitions)
        {
            if (partition.TruncatedBytes > 0)
            {
                HotPathLog.PartitionTornTail(
                    logger, topic.Name, partition.Partition, partition.StartOffset, partition.EndOffset, partition.TruncatedBytes, partition.Detail);
            }
            else
            {
                HotPathLog.PartitionRecovered(
                    logger, topic.Name, partition.Partition, partition.StartOffset, partition.EndOffset, partition.Segments, partition.Detail);
            }
        }
    }

    private static string Names(IEnumerable<string> names)
    {
        string list = string.Join(", ", names);
        return list.Length == 0 ? "none" : list;
    }
}
