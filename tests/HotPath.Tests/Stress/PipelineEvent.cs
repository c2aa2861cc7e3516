namespace HotPath.Tests.Stress;

/// <summary>
/// The exactly-once pipeline's event, on all three topics: an order id, an amount each stage derives from its input's,
/// the stage that published it (0 order, 1 processed order, 2 notification) and a check over the three, so that an
/// observer can tell an intact event from a torn one or from a slot that was never filled (default: Check 0 is not the
/// check of OrderId 0).
/// </summary>
public struct PipelineEvent
{
    public long OrderId;
    public long Amount;
    public int Stage;
    public long Check;

    public readonly bool IsIntact => Check == CheckOf(OrderId, Amount, Stage) && Amount == AmountAt(OrderId, Stage);

    /// <summary>An order, as the plain publishers write it.</summary>
    public static PipelineEvent Order(long orderId) => Create(orderId, OrderAmount(orderId), 0);

    /// <summary>The order's amount: 1 to 997.</summary>
    public static long OrderAmount(long orderId) => (orderId % 997) + 1;

    /// <summary>What stage <paramref name="stage"/> carries for the order: the order's amount, doubled by processing, plus one fee for the notification.</summary>
    public static long AmountAt(long orderId, int stage) => stage switch
    {
        0 => OrderAmount(orderId),
        1 => OrderAmount(orderId) * 2,
        _ => (OrderAmount(orderId) * 2) + 1,
    };

    /// <summary>The event the next stage publishes for this one, computed from this event's fields (a torn input shows).</summary>
    public readonly PipelineEvent Next() => Create(OrderId, Stage == 0 ? Amount * 2 : Amount + 1, Stage + 1);

    private static PipelineEvent Create(long orderId, long amount, int stage) =>
        new() { OrderId = orderId, Amount = amount, Stage = stage, Check = CheckOf(orderId, amount, stage) };

    private static long CheckOf(long orderId, long amount, int stage) => ~((orderId * 1_000_003L) + (amount * 31) + stage);
}
