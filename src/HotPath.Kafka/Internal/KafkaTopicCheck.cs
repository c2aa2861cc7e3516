using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace HotPath.Kafka.Internal;

/// <summary>
/// Checks at start-up that a Kafka topic exists with the local topic's partition count (creating it when asked),
/// within a time bound, and turns every failure into a <see cref="KafkaBridgeException"/> that names both sides.
/// </summary>
/// <remarks>Thread safety: stateless; each call uses only its arguments. The admin client must not be disposed meanwhile.</remarks>
internal static class KafkaTopicCheck
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Returns once <paramref name="kafkaTopic"/> has <paramref name="localPartitionCount"/> partitions.</summary>
    /// <param name="admin">An admin client on the bridge's own client handle.</param>
    /// <param name="kafkaTopic">The Kafka topic.</param>
    /// <param name="localTopic">The local topic's name, for messages.</param>
    /// <param name="localPartitionCount">The partition count the Kafka topic must have.</param>
    /// <param name="createReplicationFactor">Create a missing topic with this replication factor, or null to fail.</param>
    /// <param name="bootstrapServers">For messages.</param>
    /// <param name="timeout">The bound for the whole check.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public static async Task EnsureAsync(
        IAdminClient admin,
        string kafkaTopic,
        string localTopic,
        int localPartitionCount,
        short? createReplicationFactor,
        string bootstrapServers,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        bool createRequested = false;
        string? lastProblem = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw Fail(kafkaTopic, $"Kafka topic '{kafkaTopic}' was not ready within {timeout} (bootstrap servers '{bootstrapServers}'): {lastProblem}",
                    null, null);
            }

            TopicMetadata? topic = ReadMetadata(admin, kafkaTopic, bootstrapServers, remaining, timeout);
            if (topic is not null && topic.Error.Code == ErrorCode.NoError && topic.Partitions.Count > 0)
            {
                if (topic.Partitions.Count != localPartitionCount)
                {
                    throw Fail(
                        kafkaTopic,
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"partition counts must be equal (local partition p is Kafka partition p): local topic '{localTopic}' has " +
                            $"{localPartitionCount}, Kafka topic '{kafkaTopic}' has {topic.Partitions.Count}. Use a Kafka topic with " +
                            $"{localPartitionCount} partitions or change the local topic's PartitionCount."),
                        null,
                        null);
                }

                return;
            }

            bool missing = topic is null || topic.Error.Code is ErrorCode.UnknownTopicOrPart || topic.Partitions.Count == 0;
            lastProblem = topic is null ? "the topic is not in the metadata" : $"{topic.Error.Code}: {topic.Error.Reason}";
            if (missing && createReplicationFactor is null)
            {
                throw Fail(
                    kafkaTopic,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"Kafka topic '{kafkaTopic}' must exist with {localPartitionCount} partitions (as local topic '{localTopic}'), " +
                        $"but the cluster at '{bootstrapServers}' does not have it ({lastProblem}). Create it, or set CreateTopicIfMissing."),
                    topic?.Error.Code,
                    null);
            }

            if (missing && !createRequested)
            {
                createRequested = true;
                await CreateAsync(admin, kafkaTopic, localPartitionCount, createReplicationFactor!.Value, deadline - DateTime.UtcNow).ConfigureAwait(false);
                continue;
            }

            // Created but not yet visible everywhere, or a transient error such as LeaderNotAvailable: look again.
            await Task.Delay(s_retryDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TopicMetadata? ReadMetadata(IAdminClient admin, string kafkaTopic, string bootstrapServers, TimeSpan remaining, TimeSpan timeout)
    {
        try
        {
            Metadata metadata = admin.GetMetadata(kafkaTopic, remaining);
            return metadata.Topics.Find(t => t.Topic == kafkaTopic);
        }
        catch (KafkaException ex)
        {
            throw Fail(
                kafkaTopic,
                $"could not read the metadata of Kafka topic '{kafkaTopic}' from bootstrap servers '{bootstrapServers}' within {timeout}: " +
                $"{ex.Error.Code}: {ex.Error.Reason}. Check that the brokers are running and reachable from here.",
                ex.Error.Code,
                ex);
        }
    }

    private static async Task CreateAsync(IAdminClient admin, string kafkaTopic, int partitions, short replicationFactor, TimeSpan remaining)
    {
        if (remaining <= TimeSpan.Zero)
        {
            remaining = TimeSpan.FromMilliseconds(1);
        }

        try
        {
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = kafkaTopic, NumPartitions = partitions, ReplicationFactor = replicationFactor }],
                new CreateTopicsOptions { RequestTimeout = remaining, OperationTimeout = remaining }).ConfigureAwait(false);
        }
        catch (CreateTopicsException ex) when (ex.Results.TrueForAll(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // Someone else created it meanwhile: the metadata check that follows decides.
        }
        catch (CreateTopicsException ex)
        {
            Error error = ex.Results.Find(r => r.Error.IsError)?.Error ?? ex.Error;
            throw Fail(
                kafkaTopic,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"could not create Kafka topic '{kafkaTopic}' with {partitions} partitions and replication factor {replicationFactor}: " +
                    $"{error.Code}: {error.Reason}"),
                error.Code,
                ex);
        }
        catch (KafkaException ex)
        {
            throw Fail(
                kafkaTopic,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"could not create Kafka topic '{kafkaTopic}' with {partitions} partitions and replication factor {replicationFactor}: " +
                    $"{ex.Error.Code}: {ex.Error.Reason}"),
                ex.Error.Code,
                ex);
        }
    }

    private static KafkaBridgeException Fail(string kafkaTopic, string message, ErrorCode? code, Exception? inner)
    {
        KafkaMetrics.RecordError(kafkaTopic, null, "startup");
        return new KafkaBridgeException(kafkaTopic, message, null, code, inner);
    }
}
