using System.Text;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TxnModel;
using static HotPath.Tests.Transactions.TxnScenario;

namespace HotPath.Tests.Transactions;

/// <content>Transactional publishes, reads, the checks after every operation, the final drain.</content>
internal sealed partial class TxnModelRun
{
    private void Send(Send op, Publisher pub, TransactionalPublisher real)
    {
        int topicIndex = op.Topic % _topics.Length;
        Topic<TestEvent> topic = _topics[topicIndex];
        int partition = op.Kind == SendKind.Key ? topic.PartitionFor((long)op.Partition) : op.Partition % topic.PartitionCount;
        Part part = _parts[topicIndex][partition];
        SendKind kind = (op.Kind, part.SingleWriter) switch
        {
            // A single writer has one claim at a time: no plain publish under a held claim.
            (SendKind.Held, true) => SendKind.Claim,
            (SendKind.HeldAbandon, true) => SendKind.Abandon,
            _ => op.Kind,
        };
        int count = kind is SendKind.Batch or SendKind.ClaimBatch or SendKind.AbandonBatch ? op.Count : 1;
        long next = part.End;
        Type? refusal = Refusal(pub.State, TransactionState.Open);
        bool room = true;
        if (refusal is null)
        {
            room = part.Room(next + count - 1);
            // The library counts the span to its reach, which a single writer's abandoned claim leaves above the next
            // offset: see TxnModel.SpanFromReach.
            long spanEnd = SpanFromReach ? Math.Max(part.Reach, next - 1) + count : next + count - 1;
            if (pub.Current!.First.TryGetValue(part, out long first) && spanEnd - first >= part.Capacity)
            {
                // The span rule: at most Capacity offsets from the transaction's first one here; throws instead of waiting.
                refusal = typeof(TransactionException);
            }
            else if (!room)
            {
                refusal = typeof(OperationCanceledException);
            }
        }

        // Plain publishes under a held claim: each succeeds while the gating readers leave room.
        int plain = kind is SendKind.Held or SendKind.HeldAbandon ? Enumerable.Range(1, op.Count).TakeWhile(i => part.Room(next + i)).Count() : 0;
        long value = _nextValue;
        using var cancel = new CancellationTokenSource();
        if (!room)
        {
            // Only when the model says the ring is full: the call must give up at once instead of waiting forever.
            cancel.Cancel();
        }

        string what = $"{pub.Name}.{kind}({(count > 1 ? $"{count} events, " : string.Empty)}{part})";
        Expect(refusal, what, () => SendCore(real, topic, part, kind, op, count, plain, value, cancel.Token), pub);
        if (refusal is not null)
        {
            return;
        }

        Txn txn = pub.Current!;
        txn.First.TryAdd(part, next);
        part.Reach = Math.Max(part.Reach, next + count - 1 + plain);
        _nextValue += count + plain;
        switch (kind)
        {
            case SendKind.Abandon or SendKind.AbandonBatch:
                // Multi-writer: gaps. Single writer: the offsets are given back to the next claim.
                for (int i = 0; i < count && !part.SingleWriter; i++)
                {
                    part.Entries.Add(new Entry(0, null, Gap: true));
                }

                break;
            case SendKind.Held or SendKind.HeldAbandon:
                part.Entries.Add(kind == SendKind.Held ? new Entry(value, txn, false) : new Entry(0, null, Gap: true));
                for (int i = 1; i <= plain; i++)
                {
                    part.Entries.Add(new Entry(value + i, null, false));
                }

                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    part.Entries.Add(new Entry(value + i, txn, false));
                }

                break;
        }
    }

    private static void SendCore(
        TransactionalPublisher real, Topic<TestEvent> topic, Part part, SendKind kind, Send op, int count, int plain, long value, CancellationToken token)
    {
        long expected = part.End;
        long offset;
        switch (kind)
        {
            case SendKind.To:
                offset = real.PublishTo(topic, part.Id, new TestEvent(value), token).Offset;
                break;
            case SendKind.Key:
                // Publish by key cannot be cancelled: on a full ring the model asks for the partition with a token instead.
                PublishResult result = token.IsCancellationRequested
                    ? real.PublishTo(topic, part.Id, new TestEvent(value), token)
                    : real.Publish(topic, (long)op.Partition, new TestEvent(value));
                Same(part.Id, result.Partition, $"publish by key {op.Partition}: the partition");
                offset = result.Offset;
                break;
            case SendKind.Batch:
                offset = real.PublishBatch(topic, part.Id, Enumerable.Range(0, count).Select(i => new TestEvent(value + i)).ToArray(), token).Offset;
                break;
            case SendKind.Claim:
                using (TransactionalClaim<TestEvent> claim = real.Claim(topic, part.Id, token))
                {
                    claim.Event = new TestEvent(value);
                    offset = claim.Offset;
                    claim.Publish();
                }

                break;
            case SendKind.ClaimBatch:
                using (TransactionalBatchClaim<TestEvent> batch = real.ClaimBatch(topic, part.Id, count, token))
                {
                    for (int i = 0; i < count; i++)
                    {
                        batch[i] = new TestEvent(value + i);
                    }

                    offset = batch.FirstOffset;
                    batch.Publish();
                }

                break;
            case SendKind.Abandon:
                using (TransactionalClaim<TestEvent> claim = real.Claim(topic, part.Id, token))
                {
                    // Half filled, then abandoned.
                    claim.Event.Value = -1;
                    offset = claim.Offset;
                }

                break;
            case SendKind.AbandonBatch:
                using (TransactionalBatchClaim<TestEvent> batch = real.ClaimBatch(topic, part.Id, count, token))
                {
                    batch[0].Value = -1;
                    offset = batch.FirstOffset;
                }

                break;
            default:
                using (TransactionalClaim<TestEvent> claim = real.Claim(topic, part.Id, token))
                {
                    claim.Event = new TestEvent(value);
                    offset = claim.Offset;
                    for (int i = 1; i <= op.Count; i++)
                    {
                        bool published = topic[part.Id].TryPublish(new TestEvent(value + i), out long plainOffset);
                        Same(i <= plain, published, $"plain TryPublish {i} under the held claim at {offset} succeeded");
                        if (published)
                        {
                            Same(offset + i, plainOffset, $"plain TryPublish {i} under the held claim: the offset");
                        }
                    }

                    if (kind == SendKind.Held)
                    {
                        claim.Publish();
                    }
                }

                break;
        }

        Same(expected, offset, $"{kind}: the (first) offset");
    }

    private void Read((Reader Model, PartitionReader<TestEvent> Real) reader, int max, bool poll)
    {
        (Reader model, PartitionReader<TestEvent> real) = reader;
        string what = $"{model.Name}.{(poll ? "Poll" : "TryRead")}(max {(max == 0 ? "all" : max)})";
        if (model.Closed)
        {
            Expect(typeof(ObjectDisposedException), what, () => real.TryRead(out _, out _));
            return;
        }

        long before = model.Position;
        List<(long Offset, long Value)> expected = poll ? model.Poll(_txns, max) : model.TryReads(_txns, max);
        List<(long Offset, long Value)> actual = [];
        if (poll)
        {
            var recorder = new Recorder();
            int passed = real.Poll(ref recorder, max == 0 ? int.MaxValue : max);
            actual = [.. recorder.Events.Select(e => (e.Offset, e.Value))];
            Same(model.Position - before, (long)passed, $"{what}: the offsets passed");
            if (recorder.Events.Count != 0 && (!recorder.Events[^1].EndOfBatch || recorder.Events.Count(e => e.EndOfBatch) != 1))
            {
                Fail($"{what}: endOfBatch must mark exactly the last event handed out: [{string.Join(' ', recorder.Events)}]");
            }
        }
        else
        {
            while ((max == 0 || actual.Count < max) && real.TryRead(out TestEvent @event, out long offset))
            {
                actual.Add((offset, @event.Value));
                if (actual.Count > 10_000)
                {
                    Fail($"{what} never returns false");
                }
            }
        }

        if (!actual.SequenceEqual(expected))
        {
            Fail($"{what} handed out [{Format(actual)}]; the model expects [{Format(expected)}]");
        }
    }

    private static string Format(List<(long Offset, long Value)> events) => string.Join(' ', events.Select(e => $"{e.Offset}:{e.Value}"));

    private void Check()
    {
        foreach (Part part in _parts.SelectMany(p => p))
        {
            Partition<TestEvent> real = _topics[part.Topic][part.Id];
            Same(part.End, real.EndOffset, $"{part}: the end offset");
            Same(part.LastStable(_txns), real.LastStableOffset, $"{part}: the last stable offset");
            Same(_txns.Count(t => t.Status == Status.Open && t.First.ContainsKey(part)), real.Transactions.OpenCount, $"{part}: open transactions");
        }

        foreach ((Publisher model, TransactionalPublisher real) in _pubs)
        {
            Same(model.State, real.State, $"{model.Name}: the state");
        }

        foreach ((Reader model, PartitionReader<TestEvent> real) in _readers.Where(r => !r.Model.Closed))
        {
            Same(model.Position, real.Position, $"{model.Name}: the position");
            Same(model.Committed, real.CommittedOffset, $"{model.Name}: the committed offset");
            Same(model.Aborted, real.Aborted, $"{model.Name}: aborted offsets stepped over");
            Same(model.Lag(_txns), real.Lag, $"{model.Name}: the lag");
        }
    }

    /// <summary>Commits every open transaction, drains every reader, and reads each partition once more with a fresh read-committed reader.</summary>
    private void Finish()
    {
        foreach ((Publisher pub, TransactionalPublisher real) in _pubs.Where(p => p.Model.State == TransactionState.Open))
        {
            real.Commit();
            pub.End(Status.Committed);
            pub.State = TransactionState.Ready;
        }

        Check();
        _readers.Where(r => !r.Model.Closed).ToList().ForEach(r => Read(r, 0, poll: false));
        foreach (Part part in _parts.SelectMany(p => p))
        {
            NewReader(new NewReader(part.Topic, part.Id, ReadCommitted: true, Latest: false));
            Read(_readers[^1], 0, poll: false);
        }

        Check();
    }

    private string Describe()
    {
        var text = new StringBuilder("model:");
        foreach (Part part in _parts.SelectMany(p => p))
        {
            text.Append($"{Environment.NewLine}  {part} (end {part.End}, last stable {part.LastStable(_txns)}, reach {part.Reach}): {string.Join(' ', part.Entries)}");
            foreach (Reader reader in part.Readers)
            {
                text.Append($"{Environment.NewLine}    {reader.Name}: position {reader.Position}, committed {reader.Committed}, aborted {reader.Aborted}");
            }
        }

        text.Append($"{Environment.NewLine}  publishers: {string.Join(", ", _pubs.Select(p => $"{p.Model.Name} {p.Model.State}"))}");
        return text.ToString();
    }

    private sealed class Recorder : IEventHandler<TestEvent>
    {
        public List<(long Offset, long Value, bool EndOfBatch)> Events { get; } = [];

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) => Events.Add((offset, @event.Value, endOfBatch));
    }
}
