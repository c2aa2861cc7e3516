using HotPath.Consumers;
using HotPath.Transactions;

namespace HotPath.Tests.Transactions;

/// <content>Releasing hung handlers, and the end of a case: completing the input and waiting for the group to drain.</content>
internal sealed partial class TxnGroupRun
{
    /// <summary>
    /// Lets hung handlers return: with <paramref name="all"/> each one once its member was declared failed (waiting up to
    /// <see cref="FenceDeadline"/> for the watchdog when <paramref name="wait"/>: a hang past the session time-out must be
    /// fenced), otherwise only those already declared failed.
    /// </summary>
    private void ReleaseHung(bool all, bool wait = true)
    {
        List<(string Member, ManualResetEventSlim Gate)> hung;
        lock (_lock)
        {
            hung = [.. _hung];
        }

        foreach ((string member, ManualResetEventSlim gate) in hung)
        {
            bool Fenced() => _members.Any(m => m.MemberId == member && m.State == MemberState.Failed);
            if (!all && !Fenced())
            {
                continue;
            }

            if (wait && !SpinWait.SpinUntil(Fenced, FenceDeadline))
            {
                _errors.Add($"{member} hung in its handler for {FenceDeadline.TotalSeconds} s (session time-out {_config.SessionTimeoutMs} ms) and was not declared failed");
            }

            // A transactional member declared failed has its publisher fenced at once, its open transaction aborted: the
            // outputs' last stable offset does not wait for the hung handler.
            if (Fenced() && _members.First(m => m.MemberId == member).Worker is TransactionalMemberWorker<TxnInput, TransactionalTransform> worker
                && !SpinWait.SpinUntil(() => worker.Publisher.State == TransactionState.Fenced, TimeSpan.FromSeconds(2)))
            {
                _errors.Add($"{member} was declared failed while hung, but its publisher is {worker.Publisher.State}: its transaction holds the outputs' last stable offset until the handler returns");
            }

            lock (_lock)
            {
                _hung.Remove((member, gate));
            }

            gate.Set();
            Trace($"  released {member} ({(Fenced() ? "fenced" : "not fenced")})");
        }
    }

    /// <summary>
    /// Completes the input and waits until the group drained, every hung handler was released (the group drains only once
    /// the watchdog fenced them) and every member that stopped or was fenced ended its thread, so that no transaction of a
    /// zombie is still open. Every member's thread must end: the drain stops the members it finds, and refuses a join after
    /// that.
    /// </summary>
    private void Complete()
    {
        Trace("complete the input");
        Task drained = _input.CompleteAsync();
        long deadline = Environment.TickCount64 + (long)CompletionDeadline.TotalMilliseconds;
        while (true)
        {
            ReadOutputs();
            ReleaseHung(all: false);
            if (!drained.IsCompleted)
            {
                EnsureLive();
            }
            else if (_group.Completion.IsCompleted && _members.All(m => m.Worker.HasExited))
            {
                break;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"the group did not drain the input within {CompletionDeadline.TotalSeconds} s (input drained: {drained.IsCompleted}, group completed: {_group.Completion.IsCompleted}, member threads still running: {string.Join(", ", _members.Where(m => !m.Worker.HasExited))}, hung: {_hung.Count}): {Stats()}");
            }

            Thread.Sleep(10);
        }

        Trace("the group completed");
    }
}
