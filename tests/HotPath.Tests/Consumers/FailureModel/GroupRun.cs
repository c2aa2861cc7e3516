using HotPath.Consumers;

namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>What one group's members did; the lock also orders the log.</summary>
internal sealed class GroupRun(string name, GroupKind kind, int partitions, int maxAttempts)
{
    public readonly object Lock = new();

    public string Name { get; } = name;

    public GroupKind Kind { get; } = kind;

    public int MaxAttempts { get; } = maxAttempts;

    public ConsumerGroup<FaultEvent> Group { get; set; } = null!;

    public List<Rec>[] Logs { get; } = [.. Enumerable.Range(0, partitions).Select(_ => new List<Rec>())];

    public List<string>[] Inside { get; } = [.. Enumerable.Range(0, partitions).Select(_ => new List<string>())];

    public Dictionary<(int, long), int> Throws { get; } = [];

    public HashSet<(int, long)> Hung { get; } = [];

    public List<(string Inside, string Entering, int Partition, long Offset)> Overlaps { get; } = [];

    public List<string> Errors { get; } = [];

    public List<GroupMember<FaultEvent>> Members { get; } = [];

    public Dictionary<string, ModelHandler> Handlers { get; } = [];

    public void Log(int partition, Rec rec)
    {
        lock (Lock)
        {
            Logs[partition].Add(rec);
        }
    }

    public bool IsFenced(string member)
    {
        lock (Lock)
        {
            return Handlers.TryGetValue(member, out ModelHandler? handler) && handler.IsFenced;
        }
    }
}
