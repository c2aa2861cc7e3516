using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.CrashChild;

/// <summary>
/// The crash child's transactional mode: <see cref="Producers"/> threads, each with its own transactional publisher,
/// publish <see cref="TxnCrashEvent"/> transactions of 1 to <see cref="MaxEvents"/> events over 1 or 2 partitions,
/// deciding before the first publish whether the transaction will be aborted (1 in <see cref="AbortOneIn"/>), with a
/// plain event between transactions now and then, until killed.
/// </summary>
/// <remarks>
/// Producer numbers are <c>run * Producers + thread</c>, so the parent's run number keeps them (and the transaction
/// sequence numbers under them) unique across restarts on one directory. Lines, besides those of
/// <see cref="Program.Open{T}"/> and <see cref="Program.RunWriters{T}"/>: <c>txn-ack &lt;producer&gt; &lt;txn&gt;
/// &lt;count&gt;</c> after <see cref="TransactionalPublisher.Commit"/> returned and the transaction's last offset in each
/// partition it wrote was acknowledged (nothing for an aborted one), <c>error &lt;what&gt;</c>, <c>fault ...</c>.
/// Thread-safety: each producer thread owns its publisher and random source.
/// </remarks>
internal static class TransactionalMode
{
    /// <summary>Publisher threads, one transactional id each.</summary>
    public const int Producers = 2;

    /// <summary>The most events in one transaction: two producers' open transactions stay far below the ring's capacity.</summary>
    public const int MaxEvents = 8;

    /// <summary>One transaction in this many is aborted.</summary>
    public const int AbortOneIn = 4;

    // Long enough that the coordinator never aborts a transaction of a live child on a loaded machine.
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(60);

    public static int Run(TopicOptions options, int run, Output output)
    {
        if (Program.Open<TxnCrashEvent>(options, output) is not Topic<TxnCrashEvent> topic)
        {
            return 2;
        }

        var coordinator = new TransactionCoordinator(TransactionTimeout);
        return Program.RunWriters(topic, Producers, w => Write(topic, coordinator, ((long)run * Producers) + w, output), coordinator, output);
    }

    private static void Write(Topic<TxnCrashEvent> topic, TransactionCoordinator coordinator, long producer, Output output)
    {
        var random = new Random(unchecked((int)producer * 7919));
        using TransactionalPublisher publisher = coordinator.CreatePublisher($"producer-{producer}");
        var last = new Dictionary<int, PublishResult>();
        int plain = 0;
        for (long txn = 0; ; txn++)
        {
            int count = random.Next(1, MaxEvents + 1);
            bool willAbort = random.Next(AbortOneIn) == 0;
            int first = random.Next(topic.PartitionCount);
            int second = random.Next(2) == 0 ? first : (first + 1) % topic.PartitionCount;
            last.Clear();
            try
            {
                publisher.Begin();
                for (int i = 0; i < count; i++)
                {
                    int partition = i % 2 == 0 ? first : second;
                    last[partition] = publisher.PublishTo(topic, partition, TxnCrashEvent.Create(producer, txn, i, count, willAbort));
                }

                if (willAbort)
                {
                    publisher.Abort();
                }
                else
                {
                    publisher.Commit();
                    foreach (PublishResult result in last.Values)
                    {
                        if (!topic.WaitAcknowledged(result, Program.AckTimeout))
                        {
                            output.Line($"error producer {producer} txn {txn}: offset {result.Partition} {result.Offset} not acknowledged in {Program.AckTimeout}");
                            return;
                        }
                    }

                    output.Line($"txn-ack {producer} {txn} {count}");
                }

                if (random.Next(3) == 0)
                {
                    topic.PublishTo(random.Next(topic.PartitionCount), TxnCrashEvent.Create(producer, -1, plain++, 1, willAbort: false));
                }
            }
            catch (TransactionException e)
            {
                // A transaction the coordinator ended is no defect of the journal, but the parent should hear of it.
                output.Line($"error producer {producer} txn {txn}: {Program.Describe(e)}");
                return;
            }
            catch (Exception e)
            {
                output.Line($"fault {Program.Describe(e)}");
                return;
            }

            Thread.Sleep(Program.PauseMilliseconds);
        }
    }
}
