using HotPath.Groups;

namespace HotPath.Tests.Support;

/// <summary>Delegates to the range assignor until told to fail; then throws (and keeps what it threw).</summary>
internal sealed class FailingAssignor : IPartitionAssignor
{
    private readonly RangeAssignor _inner = new();
    private volatile bool _fail;

    public bool Fail
    {
        get => _fail;
        set => _fail = value;
    }

    public Exception? Thrown { get; private set; }

    public string Name => _inner.Name;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, Subscription> subscriptions)
    {
        if (_fail)
        {
            Thrown = new InvalidOperationException("assignor failure");
            throw Thrown;
        }

        return _inner.Assign(partitionsPerTopic, subscriptions);
    }
}
