namespace HotPath.Tests.Stress;

/// <summary>
/// What an observer group of the exactly-once pipeline saw on one topic: per order id, how many records carry it, and
/// the sums of ids and amounts. Records are counted once per offset (first deliveries, which a lossless group hands out
/// in offset order; a redelivery of an offset is counted apart), so a count above one is a duplicate in the log as the
/// observer's isolation level shows it, not a redelivery.
/// </summary>
/// <remarks>Shared by the observer's member and the checks at the end, under a lock.</remarks>
internal sealed class PipelineLedger
{
    private const int MaxErrors = 20;
    private readonly object _lock = new();
    private readonly long[] _next;
    private readonly byte[] _counts;
    private readonly List<string> _errors = [];

    public PipelineLedger(string name, int partitions, long maxOrders, int stage)
    {
        Name = name;
        Stage = stage;
        _next = new long[partitions];
        _counts = new byte[maxOrders + 1];
    }

    public string Name { get; }

    /// <summary>The stage whose events the topic holds (1 processed orders, 2 notifications).</summary>
    public int Stage { get; }

    public long Records { get; private set; }

    public long Redeliveries { get; private set; }

    public long IdSum { get; private set; }

    public long AmountSum { get; private set; }

    public List<string> Errors()
    {
        lock (_lock)
        {
            return [.. _errors];
        }
    }

    public void Record(in PipelineEvent @event, int partition, long offset)
    {
        PipelineEvent copy = @event;
        lock (_lock)
        {
            if (offset < _next[partition])
            {
                Redeliveries++;
                return;
            }

            _next[partition] = offset + 1;
            if (!copy.IsIntact || copy.Stage != Stage || copy.OrderId < 1 || copy.OrderId >= _counts.Length)
            {
                Error($"p{partition}/{offset}: not a stage-{Stage} event of a known order (OrderId {copy.OrderId}, Amount {copy.Amount}, Stage {copy.Stage}, Check {copy.Check})");
                return;
            }

            Records++;
            IdSum += copy.OrderId;
            AmountSum += copy.Amount;
            ref byte count = ref _counts[copy.OrderId];
            if (count < byte.MaxValue)
            {
                count++;
            }
        }
    }

    /// <summary>
    /// Read-committed: orders 1 to <paramref name="orders"/> each have exactly one record, and nothing else is there
    /// (the count, the id sum n(n+1)/2 and the amount sum agree).
    /// </summary>
    public void CheckExactlyOnce(long orders, List<string> errors)
    {
        lock (_lock)
        {
            errors.AddRange(_errors);
            var wrong = new List<string>();
            long missing = 0, duplicated = 0;
            for (long id = 1; id <= orders; id++)
            {
                int count = _counts[id];
                if (count != 1)
                {
                    missing += count == 0 ? 1 : 0;
                    duplicated += count > 1 ? 1 : 0;
                    if (wrong.Count < 10)
                    {
                        wrong.Add($"order {id}: {count}");
                    }
                }
            }

            for (long id = orders + 1; id < _counts.Length; id++)
            {
                if (_counts[id] != 0)
                {
                    errors.Add($"{Name}: order {id} was never published, seen {_counts[id]} time(s)");
                    break;
                }
            }

            if (missing + duplicated != 0)
            {
                errors.Add($"{Name}: {missing} order(s) with no record and {duplicated} with more than one, e.g. {string.Join(", ", wrong)}");
            }

            long idSum = orders * (orders + 1) / 2;
            long amountSum = ExpectedAmountSum(orders, Stage);
            if (Records != orders || IdSum != idSum || AmountSum != amountSum)
            {
                errors.Add($"{Name}: {Records} records (expected {orders}), id sum {IdSum} (expected n(n+1)/2 = {idSum}), amount sum {AmountSum} (expected {amountSum})");
            }
        }
    }

    /// <summary>Read-uncommitted: every order has at least one record; returns the records beyond one per order (duplicates).</summary>
    public long CheckAtLeastOnce(long orders, List<string> errors)
    {
        lock (_lock)
        {
            errors.AddRange(_errors);
            long missing = 0;
            for (long id = 1; id <= orders; id++)
            {
                missing += _counts[id] == 0 ? 1 : 0;
            }

            if (missing != 0)
            {
                errors.Add($"{Name}: {missing} order(s) with no record at all");
            }

            return Records - orders;
        }
    }

    public static long ExpectedAmountSum(long orders, int stage)
    {
        long sum = 0;
        for (long id = 1; id <= orders; id++)
        {
            sum += PipelineEvent.AmountAt(id, stage);
        }

        return sum;
    }

    private void Error(string message)
    {
        if (_errors.Count < MaxErrors)
        {
            _errors.Add($"{Name}: {message}");
        }
    }
}
