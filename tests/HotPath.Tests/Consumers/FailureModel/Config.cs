using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The shape of one failure-model case: topic, groups, policies, timeouts.</summary>
public sealed record Config(
    int Partitions,
    int Capacity,
    int MaxBatchSize,
    string Assignor,
    ErrorAction TolerantAction,
    int TolerantAttempts,
    bool HasStopper,
    int StopperAttempts,
    bool HasLossy,
    int SessionTimeoutMs,
    int InitialMembers)
{
    public int HangMs => (2 * SessionTimeoutMs) + 50;

    public int TransientMax => Math.Min(TolerantAttempts, HasStopper ? StopperAttempts : int.MaxValue) - 1;

    public override string ToString() =>
        $"partitions {Partitions}, capacity {Capacity}, MaxBatchSize {MaxBatchSize}, assignor {Assignor}, " +
        $"tolerant {TolerantAction} x{TolerantAttempts}, stopper {(HasStopper ? $"StopMember x{StopperAttempts}" : "none")}, " +
        $"lossy {HasLossy}, session {SessionTimeoutMs} ms (hang {HangMs} ms), initial members {InitialMembers}";
}
