using Confluent.Kafka;

namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>Bounded consume and commit helpers, so a stuck cluster fails a test instead of hanging it.</summary>
internal static class ConsumerExtensions
{
    /// <summary>Consumes until <paramref name="count"/> messages arrived; throws <see cref="TimeoutException"/> past the deadline.</summary>
    public static List<ConsumeResult<TKey, TValue>> ConsumeExactly<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = new List<ConsumeResult<TKey, TValue>>(count);
        DateTime deadline = DateTime.UtcNow + timeout;
        while (results.Count < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"consumed {results.Count} of {count} messages within {timeout}");
            }

            ConsumeResult<TKey, TValue>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null)
            {
                results.Add(result);
            }
        }

        return results;
    }

    /// <summary>
    /// Commits explicit offsets, retrying while the group is rebalancing (the coordinator answers
    /// REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION to a commit that races a join). Polls between tries so the
    /// rebalance can finish; messages polled then are returned so the caller can account for them.
    /// </summary>
    public static List<ConsumeResult<TKey, TValue>> CommitWithRetry<TKey, TValue>(
        this IConsumer<TKey, TValue> consumer, IEnumerable<TopicPartitionOffset> offsets, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<TopicPartitionOffset> toCommit = offsets.ToList();
        var polledMeanwhile = new List<ConsumeResult<TKey, TValue>>();
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                consumer.Commit(toCommit);
                return polledMeanwhile;
            }
            catch (KafkaException ex) when (IsRebalanceError(ex.Error.Code) && DateTime.UtcNow < deadline)
            {
                ConsumeResult<TKey, TValue>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is not null)
                {
                    polledMeanwhile.Add(result);
                }
            }
        }
    }

    private static bool IsRebalanceError(ErrorCode code) =>
        code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.Local_State;
}
