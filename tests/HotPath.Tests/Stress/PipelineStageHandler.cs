using HotPath.Consumers;
using HotPath.Transactions;

namespace HotPath.Tests.Stress;

/// <summary>
/// A transactional member's handler in the exactly-once pipeline: publishes the next stage's event for each input, in
/// the member's transaction, keyed by order id; does what the driver asked of the stage (see <see cref="PipelineChaos"/>).
/// One instance per member: a crashed instance throws on every later call, so retries cannot save its member.
/// </summary>
internal sealed class PipelineStageHandler(PipelineStage stage) : ITransactionalHandler<PipelineEvent>
{
    private GroupMember<PipelineEvent>? _member;
    private bool _crashed;

    /// <summary>The member, set once it joined (a handler call may come first).</summary>
    public GroupMember<PipelineEvent>? Member
    {
        get => Volatile.Read(ref _member);
        set => Volatile.Write(ref _member, value);
    }

    public void OnEvent(ref readonly PipelineEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
    {
        if (_crashed)
        {
            throw new InvalidOperationException("chaos: this member crashed (every retry fails too)");
        }

        // A copy first: once a hung member is fenced, the slot may be reused when the partition's next owner commits past it.
        PipelineEvent input = @event;
        if (!input.IsIntact && Member?.State == MemberState.Running)
        {
            stage.Error($"p{partition}/{offset}: torn or foreign input (OrderId {input.OrderId}, Amount {input.Amount}, Stage {input.Stage}, Check {input.Check})");
        }

        PipelineChaos chaos = stage.Take(endOfBatch);
        // Crashes and hangs come before the publish or after it (then the aborted transaction holds an output); the
        // others after it: a slow handler's transaction must hold an output for the time-out to matter, and a transient
        // failure retried from an output of the aborted attempt is what the read-uncommitted observer counts.
        bool before = chaos is PipelineChaos.Crash or PipelineChaos.Hang && (offset & 1) == 0;
        if (before)
        {
            Act(chaos, transaction);
        }

        PipelineEvent output = input.Next();
        transaction.Publish(stage.Output, input.OrderId, in output);
        if (!before)
        {
            Act(chaos, transaction);
        }
    }

    private void Act(PipelineChaos chaos, TransactionalPublisher transaction)
    {
        switch (chaos)
        {
            case PipelineChaos.Crash:
                _crashed = true;
                stage.CountCrash();
                throw new InvalidOperationException("chaos: member crash");
            case PipelineChaos.Hang:
                stage.Hang(this, transaction);
                break;
            case PipelineChaos.Slow:
            case PipelineChaos.SlowAtCommit:
                stage.Slow(transaction);
                break;
            case PipelineChaos.CommitDuringTimeout:
                stage.ReturnWhenTimingOut(transaction);
                break;
            case PipelineChaos.Transient:
                stage.CountTransient();
                throw new InvalidOperationException("chaos: transient handler failure");
        }
    }
}
