using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.CrashChild;

/// <summary>
/// The crash child's exactly-once mode (consume-transform-produce on durable topics): <see cref="Writers"/> threads
/// publish plain events to the durable input topic; a transactional member of group <see cref="GroupId"/> turns each input
/// event into one output event (<see cref="Forward"/>), spread over the output topic's partitions, and commits its input
/// offsets in the same transaction; until killed. After each kill the parent checks that the output holds every input
/// event below the group's stored offsets exactly once, and nothing else.
/// </summary>
/// <remarks>
/// Both topics live in one durability directory (a transaction's commit record covers the output parts and the input
/// offsets). Input events are plain <see cref="TxnCrashEvent"/>s (producer <c>run * Writers + writer</c>); the output
/// event of the input at partition p, offset o is <c>Create(p, o, 0, 1, false)</c>. Lines: those of
/// <see cref="Program.Open{T}"/> for both topics, <c>ready</c>, <c>error</c>, <c>fault</c>.
/// </remarks>
public static class ExactlyOnceMode
{
    /// <summary>The input topic.</summary>
    public const string InputName = "eos-in";

    /// <summary>The output topic.</summary>
    public const string OutputName = "eos-out";

    /// <summary>The transactional group reading the input.</summary>
    public const string GroupId = "eos";

    /// <summary>Partitions of the input.</summary>
    public const int InputPartitions = 2;

    /// <summary>Partitions of the output: each transaction's outputs spread over several.</summary>
    public const int OutputPartitions = 3;

    private const int Writers = 2;
    private const int Burst = 8;

    /// <summary>The options of one of the two topics.</summary>
    /// <param name="directory">The durability root.</param>
    /// <param name="name"><see cref="InputName"/> or <see cref="OutputName"/>.</param>
    /// <param name="sync">The sync policy.</param>
    /// <returns>The options.</returns>
    public static TopicOptions Options(string directory, string name, SyncPolicy sync) => new()
    {
        Name = name,
        PartitionCount = name == InputName ? InputPartitions : OutputPartitions,
        Capacity = 256,
        PublishMode = PublishMode.MultiWriter,
        Durability = new DurabilityOptions
        {
            Directory = directory,
            Sync = sync,
            SyncInterval = TimeSpan.FromMilliseconds(20),
            SegmentBytes = CrashTopic.DefaultSegmentBytes,
        },
    };

    /// <summary>The output event of the input event at <paramref name="partition"/>, <paramref name="offset"/>.</summary>
    /// <param name="partition">The input partition.</param>
    /// <param name="offset">The input offset.</param>
    /// <returns>The output event.</returns>
    public static TxnCrashEvent Forward(int partition, long offset) => TxnCrashEvent.Create(partition, offset, 0, 1, willAbort: false);

    internal static int Run(string directory, SyncPolicy sync, int run, Output output)
    {
        if (Program.Open<TxnCrashEvent>(Options(directory, OutputName, sync), output) is not Topic<TxnCrashEvent> outputTopic)
        {
            return 2;
        }

        if (Program.Open<TxnCrashEvent>(Options(directory, InputName, sync), output) is not Topic<TxnCrashEvent> input)
        {
            return 2;
        }

        var coordinator = new TransactionCoordinator(TimeSpan.FromSeconds(60));
        var group = new ConsumerGroup<TxnCrashEvent>(input, new ConsumerGroupOptions
        {
            GroupId = GroupId,
            CommitMode = CommitMode.Manual,
            AutoOffsetReset = OffsetReset.Earliest,
        });
        group.JoinTransactional(new Forwarder(outputTopic), coordinator);
        var stages = new CompositeDisposable(group, coordinator, outputTopic);
        return Program.RunWriters(input, Writers, w => Write(input, ((long)run * Writers) + w, output), stages, output);
    }

    private static void Write(Topic<TxnCrashEvent> input, long producer, Output output)
    {
        for (int seq = 0; ; seq++)
        {
            try
            {
                for (int i = 0; i < Burst; i++, seq++)
                {
                    input.PublishTo(seq % InputPartitions, TxnCrashEvent.Create(producer, -1, seq, 1, willAbort: false));
                }
            }
            catch (Exception e)
            {
                output.Line($"fault {Program.Describe(e)}");
                return;
            }

            Thread.Sleep(Program.PauseMilliseconds);
        }
    }

    private sealed class Forwarder(Topic<TxnCrashEvent> output) : ITransactionalHandler<TxnCrashEvent>
    {
        public void OnEvent(ref readonly TxnCrashEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction) =>
            transaction.PublishTo(output, (int)(offset % OutputPartitions), Forward(partition, offset));
    }

    private sealed class CompositeDisposable(params IDisposable[] parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable part in parts)
            {
                part.Dispose();
            }
        }
    }
}
