using Confluent.Kafka;

namespace HotPath.Kafka.Tests.Bridge;

/// <summary>
/// Plugs into <c>KafkaMirror.TransactionCallHook</c>: records each transactional call (with a snapshot the test chooses,
/// for example the local committed offset at that moment) and injects the failures a test asks for, by call name and
/// occurrence, as Confluent.Kafka would throw them.
/// </summary>
internal sealed class TransactionCallLog
{
    private readonly List<(string Call, long Snapshot)> _calls = [];
    private readonly Dictionary<string, int> _counts = [];
    private readonly Func<long> _snapshot;
    private readonly Func<string, int, Exception?> _inject;

    /// <param name="snapshot">Read at each call (on the calling thread).</param>
    /// <param name="inject">Given the call name and its 1-based occurrence, the exception to throw instead, or null.</param>
    public TransactionCallLog(Func<long>? snapshot = null, Func<string, int, Exception?>? inject = null)
    {
        _snapshot = snapshot ?? (() => 0);
        _inject = inject ?? ((_, _) => null);
    }

    public static KafkaRetriableException Retriable() => new(new Error(ErrorCode.GroupLoadInProgress, "injected: coordinator loading"));

    public static KafkaTxnRequiresAbortException Abortable() => new(new Error(ErrorCode.InvalidTxnState, "injected: transaction must abort"));

    public static KafkaException Fatal(ErrorCode code = ErrorCode.ProducerFenced) => new(new Error(code, "injected: fatal", isFatal: true));

    public Exception? OnCall(string call)
    {
        lock (_calls)
        {
            _counts[call] = _counts.GetValueOrDefault(call) + 1;
            _calls.Add((call, _snapshot()));
            return _inject(call, _counts[call]);
        }
    }

    public List<(string Call, long Snapshot)> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public int Count(string call)
    {
        lock (_calls)
        {
            return _counts.GetValueOrDefault(call);
        }
    }

    public string Sequence() => string.Join(",", Calls.Select(c => c.Call));
}
