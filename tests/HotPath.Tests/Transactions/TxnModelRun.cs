using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using Xunit.Sdk;
using static HotPath.Tests.Transactions.TxnModel;
using static HotPath.Tests.Transactions.TxnScenario;

namespace HotPath.Tests.Transactions;

/// <summary>
/// Runs a <see cref="TxnScenario"/> on the test thread against the real library and the sequential
/// <see cref="TxnModel"/>. Each publisher operation's outcome is predicted from the model first: success, or the
/// exception its state calls for (TransactionException, TransactionAbortedException, ProducerFencedException,
/// ObjectDisposedException), TransactionException when the transaction would span more than a ring from its first offset
/// on the partition, OperationCanceledException (a pre-cancelled token, passed only then) when the ring is full. A
/// refused operation must change nothing. After every operation (<see cref="TxnModelRun.Check"/>): end offsets, last
/// stable offsets, open transaction entries per partition, each publisher's state, and each reader's position,
/// committed offset, aborted count and lag match the model; every read hands out exactly the model's events in offset
/// order. At the end every open transaction commits and every reader, plus a fresh read-committed one per partition, is
/// drained. The coordinator's time-out is an hour: its timer never fires, the time-out op plays it.
/// </summary>
internal sealed partial class TxnModelRun(TxnScenario scenario) : IDisposable
{
    private readonly Topic<TestEvent>[] _topics = [.. scenario.Topics.Select((t, i) => new Topic<TestEvent>(new TopicOptions
    {
        Name = $"t{i}",
        PartitionCount = t.Partitions,
        Capacity = t.Capacity,
        PublishMode = t.SingleWriter ? PublishMode.SingleWriter : PublishMode.MultiWriter,
    }))];

    private readonly Part[][] _parts = [.. scenario.Topics.Select((t, i) => Enumerable.Range(0, t.Partitions).Select(p => new Part(i, p, t.Capacity, t.SingleWriter)).ToArray())];
    private readonly TransactionCoordinator _coordinator = new(TimeSpan.FromHours(1));
    private readonly List<(Publisher Model, TransactionalPublisher Real)> _pubs = [];
    private readonly List<(Reader Model, PartitionReader<TestEvent> Real)> _readers = [];
    private readonly List<Txn> _txns = [];
    private readonly int[] _creates = new int[Ids];
    private long _nextValue = 1;

    public void Execute()
    {
        for (int i = 0; i < scenario.Ops.Length; i++)
        {
            try
            {
                Apply(scenario.Ops[i]);
                Check();
            }
            catch (Exception ex)
            {
                throw new XunitException($"operation {i} ({scenario.Ops[i]}): {ex.Message}{Environment.NewLine}{Describe()}", ex);
            }
        }

        try
        {
            Finish();
        }
        catch (Exception ex)
        {
            throw new XunitException($"the final drain: {ex.Message}{Environment.NewLine}{Describe()}", ex);
        }
    }

    public void Dispose()
    {
        _readers.ForEach(r => r.Real.Dispose());
        _coordinator.Dispose();
        Array.ForEach(_topics, t => t.Dispose());
    }

    private static Type? Refusal(TransactionState state, params TransactionState[] allowed) =>
        allowed.Contains(state) ? null : state switch
        {
            TransactionState.Aborted => typeof(TransactionAbortedException),
            TransactionState.Fenced => typeof(ProducerFencedException),
            TransactionState.Closed => typeof(ObjectDisposedException),
            _ => typeof(TransactionException),
        };

    private static void Fail(string message) => throw new XunitException(message);

    private static void Same<TValue>(TValue expected, TValue actual, string what)
    {
        if (!EqualityComparer<TValue>.Default.Equals(expected, actual))
        {
            Fail($"{what}: the model expects {expected}, the library has {actual}");
        }
    }

    /// <summary>Runs <paramref name="action"/>, which must succeed (null) or throw exactly <paramref name="expected"/>.</summary>
    private static void Expect(Type? expected, string what, Action action, Publisher? pub = null)
    {
        Exception? thrown = null;
        try
        {
            action();
        }
        catch (Exception ex) when (ex is not XunitException)
        {
            thrown = ex;
        }

        if (expected is null)
        {
            if (thrown is not null)
            {
                Fail($"{what} threw {thrown.GetType().Name} ({thrown.Message}); the model expects success");
            }

            return;
        }

        if (thrown is null || thrown.GetType() != expected)
        {
            Fail($"{what}: the model expects {expected.Name}, the library {(thrown is null ? "succeeded" : $"threw {thrown.GetType().Name} ({thrown.Message})")}");
        }

        if (thrown is TransactionException tx && pub is not null)
        {
            Same(pub.Id, tx.TransactionalId, $"{what}: the exception's transactional id");
            Same(pub.Epoch, tx.Epoch, $"{what}: the exception's epoch");
            if (tx.GetType() == typeof(TransactionException))
            {
                Same(pub.State, tx.State, $"{what}: the exception's state");
            }
        }
    }

    private void Apply(Op op)
    {
        switch (op)
        {
            case Plain plain:
                (Topic<TestEvent> topic, Part part) = Target(plain.Topic, plain.Partition);
                for (int i = 0; i < plain.Count; i++)
                {
                    PlainPublish(topic, part);
                }

                break;
            case Create create:
                CreatePublisher(create.Id);
                break;
            case Begin begin when Resolve(begin.Pub) is (Publisher pub, TransactionalPublisher real):
                Type? refusal = Refusal(pub.State, TransactionState.Ready);
                Expect(refusal, $"{pub.Name}.Begin", real.Begin, pub);
                if (refusal is null)
                {
                    pub.State = TransactionState.Open;
                    pub.Current = new Txn($"{pub.Name}/{_txns.Count}");
                    _txns.Add(pub.Current);
                }

                break;
            case Send send when Resolve(send.Pub) is (Publisher pub, TransactionalPublisher real):
                Send(send, pub, real);
                break;
            case Commit commit when Resolve(commit.Pub) is (Publisher pub, TransactionalPublisher real):
                refusal = Refusal(pub.State, TransactionState.Open);
                Expect(refusal, $"{pub.Name}.Commit", real.Commit, pub);
                if (refusal is null)
                {
                    pub.End(Status.Committed);
                    pub.State = TransactionState.Ready;
                }

                break;
            case Abort abort when Resolve(abort.Pub) is (Publisher pub, TransactionalPublisher real):
                refusal = Refusal(pub.State, TransactionState.Open, TransactionState.Ready, TransactionState.Aborted);
                Expect(refusal, $"{pub.Name}.Abort", real.Abort, pub);
                if (refusal is null)
                {
                    pub.End(Status.Aborted);
                    pub.State = TransactionState.Ready;
                }

                break;
            case TxnScenario.Timeout timeout when Resolve(timeout.Pub) is (Publisher pub, TransactionalPublisher real):
                bool open = pub.State == TransactionState.Open;
                Same(open, real.AbortFromOutside("the model's time-out", fence: false), $"{pub.Name}: the coordinator's abort ended a transaction");
                if (open)
                {
                    pub.End(Status.Aborted);
                    pub.State = TransactionState.Aborted;
                }

                break;
            case Close close when Resolve(close.Pub) is (Publisher pub, TransactionalPublisher real):
                Expect(null, $"{pub.Name}.Dispose", real.Dispose, pub);
                pub.End(Status.Aborted);
                pub.State = TransactionState.Closed;
                break;
            case NewReader reader:
                NewReader(reader);
                break;
            case Read read when _readers.Count != 0:
                Read(_readers[read.Reader % _readers.Count], read.Max, read.Poll);
                break;
            case CloseReader close when _readers.Count != 0:
                (Reader model, PartitionReader<TestEvent> closed) = _readers[close.Reader % _readers.Count];
                closed.Dispose();
                model.Closed = true;
                model.Part.Readers.Remove(model);
                break;
        }
    }

    private (Topic<TestEvent> Topic, Part Part) Target(int topic, int partition)
    {
        topic %= _topics.Length;
        return (_topics[topic], _parts[topic][partition % _parts[topic].Length]);
    }

    /// <summary>The newest instance of the id, or with Stale the oldest; null when none was created.</summary>
    private (Publisher, TransactionalPublisher)? Resolve(TxnScenario.Pub pub)
    {
        var instances = _pubs.Where(p => p.Model.Id == $"t{pub.Id}").ToList();
        return instances.Count == 0 ? null : pub.Stale ? instances[0] : instances[^1];
    }

    private void CreatePublisher(int id)
    {
        (Publisher, TransactionalPublisher)? previous = Resolve(new TxnScenario.Pub(id, Stale: false));
        TransactionalPublisher real = _coordinator.CreatePublisher($"t{id}", TimeSpan.FromHours(1));
        var model = new Publisher($"t{id}", _creates[id]++);
        Same(model.Epoch, real.Epoch, $"{model.Name}: the epoch");
        Same(model.Epoch, _coordinator.GetEpoch(model.Id), $"{model.Name}: the coordinator's epoch");
        if (previous is (Publisher old, _) && old.State != TransactionState.Closed)
        {
            // A disposed instance was retired: nothing to fence. Any other is fenced, its open transaction aborted.
            old.End(Status.Aborted);
            old.State = TransactionState.Fenced;
        }

        _pubs.Add((model, real));
    }

    private void PlainPublish(Topic<TestEvent> topic, Part part)
    {
        bool room = part.Room(part.End);
        var @event = new TestEvent(_nextValue);
        bool published = topic[part.Id].TryPublish(in @event, out long offset);
        Same(room, published, $"plain TryPublish to {part} at {part.End} succeeded");
        if (published)
        {
            Same(part.End, offset, $"plain TryPublish to {part}: the offset");
            part.Entries.Add(new Entry(_nextValue++, null, false));
            part.Reach = Math.Max(part.Reach, offset);
        }
    }

    private void NewReader(NewReader op)
    {
        (Topic<TestEvent> topic, Part part) = Target(op.Topic, op.Partition);
        long? expected = op.Latest ? part.End : part.Readers.Count != 0 ? part.Readers.Min(r => r.Committed) : null;
        var real = topic.CreateReader(
            part.Id,
            op.Latest ? OffsetReset.Latest : OffsetReset.Earliest,
            isolation: op.ReadCommitted ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted);
        var model = new Reader(part, op.ReadCommitted, real.Position, $"reader {_readers.Count} ({(op.ReadCommitted ? "committed" : "uncommitted")}, {part})");
        _readers.Add((model, real));
        part.Readers.Add(model);
        if ((expected is long start && start != real.Position) || real.Position < 0 || real.Position > part.End)
        {
            // Ungated, Earliest starts where the ring still holds intact events: the reads check the values from there.
            Fail($"{model.Name} starts at {real.Position}; the model expects {expected?.ToString() ?? $"0 to {part.End}"}");
        }
    }
}
