using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TxnGroupScenario;

namespace HotPath.Tests.Transactions;

/// <content>The stage's handlers: the transactional member's, and the hand-written one of a plain member.</content>
internal sealed partial class TxnGroupRun
{
    /// <summary>
    /// Publishes the input's output (keyed by its input partition, by key, by partition or through a claim), then fails,
    /// hangs or returns as the input says.
    /// </summary>
    private void Transform(string member, in TxnInput @event, int partition, long offset, TransactionalPublisher transaction, Action? beforeFault = null)
    {
        // Copied at once: a member fenced while hung may see its slot reused before it returns.
        (long id, Fault fault, int throws) = (@event.Id, @event.Fault, @event.Throws);
        var output = new TestEvent(id, partition);
        Topic<TestEvent> topic = _output;
        switch (id % 3)
        {
            case 0:
                transaction.Publish(topic, (long)partition, output);
                break;
            case 1:
                transaction.PublishTo(topic, topic.PartitionFor((long)partition), output);
                break;
            default:
                using (TransactionalClaim<TestEvent> claim = transaction.Claim(topic, topic.PartitionFor((long)partition)))
                {
                    claim.Event = output;
                    claim.Publish();
                }

                break;
        }

        beforeFault?.Invoke();
        int call;
        ManualResetEventSlim? gate = null;
        lock (_lock)
        {
            call = _calls[id] = _calls.GetValueOrDefault(id) + 1;
            if (fault == Fault.Hang && call == 1)
            {
                gate = new ManualResetEventSlim();
                _hung.Add((member, gate));
            }
        }

        if (fault == Fault.Poison || (fault is Fault.Transient or Fault.Crash && call <= throws))
        {
            Trace($"  {member}: input {id} (partition {partition}, offset {offset}) throws, call {call}");
            throw new InvalidOperationException($"the model's {fault} input {id}, call {call}");
        }

        if (fault == Fault.Slow && call == 1)
        {
            Thread.Sleep(_config.TransactionTimeoutMs + 30);
        }

        if (gate is not null)
        {
            Trace($"  {member}: input {id} (partition {partition}, offset {offset}) hangs");
            gate.Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The transactional member's handler: the member begins and commits around each batch.</summary>
    private sealed class TransactionalTransform(TxnGroupRun run, string member) : ITransactionalHandler<TxnInput>
    {
        public void OnEvent(ref readonly TxnInput @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction) =>
            run.Transform(member, in @event, partition, offset, transaction);
    }

    /// <summary>
    /// Consume-transform-produce written by hand on a plain member (CommitMode.Manual, KIP-447 as an application writes
    /// it): one transaction per input with its own publisher, the input's offset added with SendOffsets before the
    /// fault (a hang holds the open transaction), committed after it. The group does not know the publisher: a member
    /// fenced while hung is stopped only by the commit's check that its cursor was fenced.
    /// </summary>
    private sealed class ManualTransform(TxnGroupRun run, string member, TransactionalPublisher publisher) : IEventHandler<TxnInput>
    {
        public void OnEvent(ref readonly TxnInput @event, int partition, long offset, bool endOfBatch)
        {
            publisher.Begin();
            try
            {
                run.Transform(member, in @event, partition, offset, publisher, () => publisher.SendOffsets(run._group, InputName, partition, offset + 1));
                publisher.Commit();
            }
            catch (Exception)
            {
                if (publisher.State is TransactionState.Open or TransactionState.Aborted)
                {
                    publisher.Abort();
                }

                throw;
            }
        }
    }
}
