using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The lossy group's handler: waits while paused (the writer laps it), records every call.</summary>
internal sealed class LossyHandler(GroupRun group, ManualResetEventSlim running) : IEventHandler<FaultEvent>
{
    public void OnEvent(ref readonly FaultEvent @event, int partition, long offset, bool endOfBatch)
    {
        if (!running.Wait(TimeSpan.FromSeconds(10)))
        {
            lock (group.Lock)
            {
                group.Errors.Add("the lossy handler stayed paused for 10 s");
            }
        }

        group.Log(partition, new Rec(RecKind.Success, "lossy", offset, @event.Id, false, 0));
    }
}
