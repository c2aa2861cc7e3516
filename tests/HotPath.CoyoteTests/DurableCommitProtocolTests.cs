using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Abstractions;
using static HotPath.CoyoteTests.TransactionScenario;

namespace HotPath.CoyoteTests;

/// <summary>
/// The protocol that makes a transaction over several durable parts whole across a crash (<c>DurableCommit</c>): the
/// commit registers a part per durable partition before its entries close, the journaller journals the part's offsets
/// as tagged batches (it reads the last stable offset, then drains the registrations, and never dispatches past that
/// read), the last part made durable writes the commit record, and only then is the partition acknowledged past the
/// part; commits of one group partition write their records in commit order, and the group's persisted offset waits
/// for them. Real durable topics in a temporary directory whose journallers' rounds run on threads Coyote controls
/// (<see cref="DurabilityOptions.JournallerDrivenByTest"/>).
/// </summary>
/// <remarks>
/// <para>Each test collects the violations its threads observe (after every journaller round and commit) and asserts
/// them once the threads have ended. "The record is written" is read from the transaction log's file
/// (<see cref="TransactionLogScan"/>), which only grows: the log's own <c>IsCommitted</c> forgets a transaction once
/// every part holds its end marker.</para>
/// <para>Mutants killed (each tried by hand, then restored; schedules to the first failure with the default seed): the
/// last stable offset read after the registrations are drained in <c>PlanDispatch</c>, and the parts registered after
/// the entries close in <c>TryCommitCore</c> (the transaction journaled untagged and acknowledged before its record: 1 to
/// 10 schedules per case of the first test; the chain test ends without the later record, 1 to 6);
/// <c>CapAcknowledged</c> not holding the acknowledged end (the first test, 1 to 2); no increment of the later commit's
/// count in <c>DurableCommit.HoldOffsets</c> (the later record written first) and the persisted offset without
/// the durable floor (the persisted offset ahead of the record): the chain test, 1 schedule each.</para>
/// </remarks>
public sealed class DurableCommitProtocolTests(ITestOutputHelper output)
{
    private const int PlainEvents = 4;

    /// <summary>
    /// A transactional publisher commits one event to each of two durable partitions (and one to a third durable topic,
    /// whose part is the last to become durable) while a plain writer publishes to the same two partitions and their
    /// journaller runs rounds. After every round: neither partition is acknowledged past the transaction's offset there
    /// before the commit record is in the log. With <paramref name="recordHeld"/>, the third topic is journaled only
    /// after the others journaled everything, so the record cannot be written before: a crash then (the journals' files
    /// reopened as they are, with no transaction committed) reads the transaction's two offsets as gaps and every plain
    /// event with its value (the transaction was journaled tagged, never as plain events). Otherwise the third topic's
    /// journaller runs concurrently and may write the record at any point. In the end both parts are acknowledged and the
    /// record is written.
    /// </summary>
    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    public void Commit_OverTwoDurablePartitionsWhileAWriterAndTheJournallerRun_PartsJournaledTaggedAndAcknowledgedOnlyAfterTheRecord(int capacity, bool recordHeld)
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(
            () => InTemporaryDirectory(root => RunTwoPartitionCommit(root, coordinator, capacity, recordHeld)),
            iterations: 200, output, maxSteps: 2_000, variant: $"{capacity}slots.{(recordHeld ? "RecordHeld" : "RecordConcurrent")}");
    }

    /// <summary>
    /// Two transactions of one member commit the group partition's offsets 1 and 2 with one output each, to two durable
    /// topics; the second transaction's output is journaled first (the first one's journaller waits for it), and the
    /// input topic's journaller reports the input waits meanwhile. Whatever the interleaving: the second commit's record
    /// is never in the log before the first one's, and the offset the group would persist
    /// (the committed offset capped by <c>JournalProgress.PersistableFloor</c>) never passes a commit whose record is not in the log. In the end both
    /// records are written, in commit order, every partition is acknowledged and the persisted offset is 2.
    /// </summary>
    [Fact]
    public void TwoCommitsOfOneGroupPartition_TheLaterOnesPartDurableFirst_RecordsInCommitOrderAndPersistedOffsetNeverAhead()
    {
        TransactionCoordinator coordinator = StoppedCoordinator();
        CoyoteHarness.Run(
            () => InTemporaryDirectory(root => RunChainedCommits(root, coordinator)),
            iterations: 150, output, maxSteps: 2_000);
    }

    private static void RunTwoPartitionCommit(string root, TransactionCoordinator coordinator, int capacity, bool recordHeld)
    {
        using Topic<Stamped> outputs = DurableTopic(root, "outputs", partitions: 2, capacity, PublishMode.MultiWriter);
        using Topic<Stamped> third = DurableTopic(root, "third", partitions: 1, capacity: 2, PublishMode.SingleWriter);
        using TransactionalPublisher publisher = Publisher(coordinator);
        TopicJournaller<Stamped> journaller = outputs.Journaller!;
        TopicJournaller<Stamped> thirdJournaller = third.Journaller!;
        string log = outputs[0].Journal!.Transactions!.Get().Path;
        var violations = new ConcurrentQueue<string>();
        var plain = new ConcurrentDictionary<(int Partition, long Offset), long>();
        long[] firsts = [-1, -1];
        int published = 0;
        bool recordSeen = false;
        bool RecordSeen() => recordSeen = recordSeen || Records(log).Count != 0;

        // Reads the transaction's offset, then the acknowledged end, then the log: an acknowledged end read past the
        // offset was raised after the record was written (if it was), and the log only grows.
        void Check(string where)
        {
            for (int i = 0; i < 2; i++)
            {
                long first = Volatile.Read(ref firsts[i]);
                long acknowledged = outputs[i].Journal!.Acknowledged;
                if (first >= 0 && acknowledged > first && !RecordSeen())
                {
                    violations.Enqueue($"{where}: partition {i} acknowledged up to {acknowledged}, past the transaction's offset {first}, before its commit record was written");
                }
            }
        }

        Thread transaction = Scenario.Start(() =>
        {
            publisher.Begin();
            Volatile.Write(ref firsts[0], publisher.PublishTo(outputs, 0, Event(101)).Offset);
            Volatile.Write(ref firsts[1], publisher.PublishTo(outputs, 1, Event(102)).Offset);
            publisher.PublishTo(third, 0, Event(103));
            publisher.Commit();
        });
        Thread writer = Scenario.Start(() =>
        {
            for (int k = 0; k < PlainEvents; k++)
            {
                int partition = k % 2;
                long offset = Scenario.Publish(outputs[partition], 1000 + k);
                plain[(partition, offset)] = 1000 + k;
            }
        });
        Thread journalling = Scenario.Start(() =>
        {
            while (Volatile.Read(ref published) == 0 || !JournaledAll(outputs))
            {
                if (!journaller.RunRoundForTest())
                {
                    // Nothing acknowledged (the acknowledged end moves only in a round that journaled or settled).
                    Thread.Yield();
                    continue;
                }

                Check("after a round of the outputs' journaller");
            }
        });
        Thread? thirdJournalling = recordHeld ? null : Scenario.Start(() =>
        {
            while (Volatile.Read(ref published) == 0 || !JournaledAll(third))
            {
                if (!thirdJournaller.RunRoundForTest())
                {
                    Thread.Yield();
                    continue;
                }

                Check("after a round of the third topic's journaller");
            }
        });

        transaction.Join();
        writer.Join();
        Volatile.Write(ref published, 1);
        journalling.Join();
        thirdJournalling?.Join();

        if (recordHeld)
        {
            Assert.True(Records(log).Count == 0, "the commit record was written before the third part was journaled");
            AssertATransactionNotCommittedReadsAsGaps(root, outputs, firsts, plain);
        }

        // Settle: the third part becomes durable (the record), then end markers and acknowledgements everywhere.
        for (int round = 0; round < 10 && !AcknowledgedAll(outputs, third); round++)
        {
            thirdJournaller.RunRoundForTest();
            Check("after a settling round of the third topic's journaller");
            journaller.RunRoundForTest();
            Check("after a settling round of the outputs' journaller");
        }

        Assert.True(violations.IsEmpty, string.Join("\n", violations));
        Assert.True(Records(log).Count == 1, $"one commit record expected, the log holds {Records(log).Count}");
        Assert.True(AcknowledgedAll(outputs, third),
            $"not everything acknowledged: outputs {outputs[0].Journal!.Acknowledged}/{outputs[0].EndOffset} and {outputs[1].Journal!.Acknowledged}/{outputs[1].EndOffset}, third {third[0].Journal!.Acknowledged}/{third[0].EndOffset}");
    }

    /// <summary>
    /// A crash now: each partition's journal files, copied as they are and reopened with no transaction committed, read
    /// the transaction's offset as a gap (its batch was tagged) and every plain event with its value.
    /// </summary>
    private static void AssertATransactionNotCommittedReadsAsGaps(
        string root, Topic<Stamped> outputs, long[] firsts, ConcurrentDictionary<(int Partition, long Offset), long> plain)
    {
        int eventSize = Marshal.SizeOf<Stamped>();
        for (int i = 0; i < 2; i++)
        {
            string copy = Directory.CreateDirectory(Path.Combine(root, "crash", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            foreach (string file in Directory.GetFiles(outputs[i].Journal!.Journal.Directory))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            using PartitionJournal reopened = PartitionJournal.Open(
                copy, eventSize, new JournalSettings(DurabilityOptions.MinSegmentBytes) { IsTransactionCommitted = _ => false });
            long end = outputs[i].EndOffset;
            Assert.True(reopened.EndOffset == end, $"partition {i}: the journal ends at {reopened.EndOffset} after the crash, the partition at {end}");
            byte[] buffer = new byte[eventSize];
            for (long offset = 0; offset < end; offset++)
            {
                JournalRun run = reopened.Read(offset, buffer);
                if (offset == firsts[i])
                {
                    Assert.True(run.IsGap, $"partition {i}: the transaction's offset {offset} reads as an event after a crash before its commit record (journaled untagged)");
                    continue;
                }

                Assert.False(run.IsGap, $"partition {i}: plain offset {offset} reads as a gap after the crash");
                Stamped read = MemoryMarshal.Read<Stamped>(buffer);
                Assert.True(read.Value == plain[(i, offset)], $"partition {i}: offset {offset} reads {read.Value}, the writer published {plain[(i, offset)]}");
            }
        }
    }

    private static void RunChainedCommits(string root, TransactionCoordinator coordinator)
    {
        using Topic<Stamped> input = DurableTopic(root, "input", partitions: 1, capacity: 4, PublishMode.SingleWriter);
        using Topic<Stamped> first = DurableTopic(root, "first", partitions: 1, capacity: 2, PublishMode.SingleWriter);
        using Topic<Stamped> second = DurableTopic(root, "second", partitions: 1, capacity: 2, PublishMode.SingleWriter);
        using TransactionalPublisher publisher = Publisher(coordinator);
        string log = input[0].Journal!.Transactions!.Get().Path;
        Scenario.Publish(input[0], 1000);
        Scenario.Publish(input[0], 1001);
        var group = new GroupPartition<Stamped>(new TopicPartition("input", 0), input[0], OffsetReset.Earliest, lossy: false, readCommitted: true)
        {
            GroupId = "coyote",
        };
        ReadCursor<Stamped> cursor = group.Cursor;
        var handled = new Recorder([]);
        Assert.Equal(2, cursor.Dispatch(ref handled, 4));
        var target = new OwnedGroupPartition(group);
        // What the journaller persists: the committed offset, then (read after it) the group's floor of held commits.
        long Persistable() => Math.Min(group.Committed, input[0].Journal!.PersistableFloor("coyote"));
        long before = Persistable();
        Assert.Equal(0, before);
        var violations = new ConcurrentQueue<string>();
        int committed = 0;
        (long Length, List<long> Order) scanned = (-1, []);

        // Reads the offset the group would persist, then the log: an offset read past a commit's came with its record
        // in the log (if the protocol holds), and the log only grows (a scan of the same length reads the same records).
        void Check(string where)
        {
            long offset = Persistable();
            long length = new FileInfo(log).Length;
            (long Length, List<long> Order) last = scanned;
            List<long> order = last.Length == length ? last.Order : [.. Records(log).SelectMany(r => r.Offsets).Select(o => o.Offset)];
            scanned = (length, order);
            int earlier = order.IndexOf(1);
            int later = order.IndexOf(2);
            if (later >= 0 && (earlier < 0 || earlier > later))
            {
                violations.Enqueue($"{where}: the later commit's record (offset 2) is in the log before the earlier one's (records' offsets: {string.Join(", ", order)})");
            }

            if ((offset > before && earlier < 0) || (offset > 1 && later < 0))
            {
                violations.Enqueue($"{where}: the group's persisted offset is {offset} while the log holds the records of offsets [{string.Join(", ", order)}] only");
            }
        }

        Thread member = Scenario.Start(() =>
        {
            // Consume-transform-produce, one input event per transaction: input 0 out to 'first', input 1 out to 'second'.
            publisher.Begin();
            publisher.PublishTo(first, 0, Event(201));
            publisher.AddOffset(cursor, target, owner: cursor, 1);
            publisher.Commit();
            Check("after the first commit");
            publisher.Begin();
            publisher.PublishTo(second, 0, Event(202));
            publisher.AddOffset(cursor, target, owner: cursor, 2);
            publisher.Commit();
            Volatile.Write(ref committed, 1);
            Check("after the second commit");
        });
        Thread inputJournalling = Scenario.Start(() =>
        {
            // Until both commits registered their input waits, then the round that reports them.
            bool last = false;
            while (!last)
            {
                last = Volatile.Read(ref committed) != 0;
                if (input.Journaller!.RunRoundForTest())
                {
                    Check("after a round of the input's journaller");
                }
                else if (!last)
                {
                    Thread.Yield();
                }
            }
        });
        Thread secondJournalling = Scenario.Start(() => JournalUntilCommitted(second, ref committed, Check));
        Thread firstJournalling = Scenario.Start(() =>
        {
            // The first commit's part becomes durable only after the second commit's part.
            while (second[0].Journal!.Journal.FlushedEnd == 0)
            {
                Thread.Yield();
            }

            JournalUntilCommitted(first, ref committed, Check);
        });

        member.Join();
        inputJournalling.Join();
        secondJournalling.Join();
        firstJournalling.Join();
        Topic<Stamped>[] topics = [input, first, second];
        for (int round = 0; round < 10 && !AcknowledgedAll(topics); round++)
        {
            foreach (Topic<Stamped> topic in topics)
            {
                topic.Journaller!.RunRoundForTest();
                Check($"after a settling round of '{topic.Name}'s journaller");
            }
        }

        Assert.True(violations.IsEmpty, string.Join("\n", violations));
        Assert.Equal([1L, 2L], Records(log).SelectMany(r => r.Offsets).Select(o => o.Offset));
        Assert.True(AcknowledgedAll(topics), "not every partition was acknowledged to its end");
        Assert.Equal(2, Persistable());
    }

    /// <summary>Runs <paramref name="topic"/>'s journaller until the member committed and the topic journaled everything.</summary>
    private static void JournalUntilCommitted(Topic<Stamped> topic, ref int committed, Action<string> check)
    {
        while (Volatile.Read(ref committed) == 0 || !JournaledAll(topic))
        {
            if (!topic.Journaller!.RunRoundForTest())
            {
                // The round wrote nothing (a record it wrote meanwhile came before the floor's release: no new violation).
                Thread.Yield();
                continue;
            }

            check($"after a round of '{topic.Name}'s journaller");
        }
    }

    /// <summary>A durable topic in <paramref name="root"/> whose journaller the test drives and whose writers park with no backstop.</summary>
    private static Topic<Stamped> DurableTopic(string root, string name, int partitions, int capacity, PublishMode mode)
    {
        var topic = new Topic<Stamped>(new TopicOptions
        {
            Name = name,
            PartitionCount = partitions,
            Capacity = capacity,
            PublishMode = mode,
            WaitStrategy = Scenario.QuickBlocking,
            Durability = new DurabilityOptions
            {
                Directory = root,
                SegmentBytes = DurabilityOptions.MinSegmentBytes,
                JournallerDrivenByTest = true,
            },
        });
        for (int partition = 0; partition < topic.PartitionCount; partition++)
        {
            topic[partition].WriterParkBackstopMilliseconds = Timeout.Infinite;
        }

        return topic;
    }

    /// <summary>True when every partition's journal holds (flushed) everything published to it. Acquire reads.</summary>
    private static bool JournaledAll(Topic<Stamped> topic)
    {
        for (int i = 0; i < topic.PartitionCount; i++)
        {
            if (topic[i].Journal!.Journal.FlushedEnd != topic[i].EndOffset)
            {
                return false;
            }
        }

        return true;
    }

    private static bool AcknowledgedAll(params Topic<Stamped>[] topics) =>
        topics.All(topic => Enumerable.Range(0, topic.PartitionCount).All(i => topic[i].Journal!.Acknowledged == topic[i].EndOffset));

    /// <summary>The commit records in the log's file, in the order written.</summary>
    private static List<TransactionRecord> Records(string log) => new TransactionLogScan(log).Records;

    private static void InTemporaryDirectory(Action<string> body)
    {
        string root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hotpath-coyote-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            body(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Stamped Event(long value) => new() { Value = value, Check = ~value };

    /// <summary>
    /// The group's partition as the member's transaction sees it, always owned by the member (a real owner needs a
    /// member worker): the durable holds are the group partition's own.
    /// </summary>
    private sealed class OwnedGroupPartition(GroupPartition<Stamped> partition) : IOwnedPartition, ITransactionalOffsetTarget
    {
        public JournalProgress? DurableJournal => ((ITransactionalOffsetTarget)partition).DurableJournal;

        public string GroupId => partition.GroupId;

        public bool IsOwnedBy(object member) => true;

        public DurableCommit? HoldForDurableCommit(long offset, DurableCommit commit) => partition.HoldForDurableCommit(offset, commit);

        public void ReleaseDurableCommit(DurableCommit commit) => partition.ReleaseDurableCommit(commit);
    }
}
