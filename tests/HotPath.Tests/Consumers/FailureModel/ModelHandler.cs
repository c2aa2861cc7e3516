using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>The lossless groups' handler: fails, hangs or succeeds as the event says; records every call.</summary>
internal sealed class ModelHandler(GroupRun group, string name, int hangMs) : IEventHandler<FaultEvent>
{
    private volatile GroupMember<FaultEvent>? _member;

    public GroupMember<FaultEvent>? Member
    {
        get => _member;
        set => _member = value;
    }

    /// <summary>Declared failed by the group. A member cannot be fenced before Join returned (the join holds the group's lock).</summary>
    public bool IsFenced => _member?.State == MemberState.Failed;

    public void OnEvent(ref readonly FaultEvent @event, int partition, long offset, bool endOfBatch)
    {
        // The event is read in its slot: copy what the model needs at once. A member fenced while inside its
        // handler (a hang) may see its slot reused before it returns, once the new owner committed past it.
        long id = @event.Id;
        bool fail = false;
        bool hang = false;
        lock (group.Lock)
        {
            List<string> inside = group.Inside[partition];
            foreach (string other in inside)
            {
                group.Overlaps.Add((other, name, partition, offset));
            }

            inside.Add(name);
            (int, long) key = (partition, offset);
            switch (@event.Fault)
            {
                case Fault.Transient:
                case Fault.Crash when group.Kind == GroupKind.Stopper:
                    int thrown = group.Throws.GetValueOrDefault(key);
                    if (thrown < @event.Throws)
                    {
                        group.Throws[key] = thrown + 1;
                        fail = true;
                    }

                    break;
                case Fault.Permanent when group.Kind == GroupKind.Tolerant:
                    fail = true;
                    break;
                case Fault.Hang:
                    hang = group.Hung.Add(key);
                    break;
            }

            if (fail)
            {
                group.Logs[partition].Add(new Rec(RecKind.Throw, name, offset, id, IsFenced, 0));
                inside.Remove(name);
            }
        }

        if (fail)
        {
            throw new ModelFailureException(partition, offset);
        }

        if (hang)
        {
            Thread.Sleep(hangMs);
        }

        bool reused = @event.Id != id;
        lock (group.Lock)
        {
            bool fenced = IsFenced;
            if (reused && !fenced)
            {
                group.Errors.Add($"{group.Name} p{partition}/{offset}: the slot was reused while {name}, not fenced, was inside its handler");
            }

            group.Logs[partition].Add(new Rec(RecKind.Success, name, offset, id, fenced, 0));
            group.Inside[partition].Remove(name);
        }
    }
}
