namespace HotPath.Demo;

/// <summary>What happened to an order. Each order goes placed → paid → shipped, or is cancelled on the way.</summary>
internal enum OrderEventType : byte
{
    /// <summary>order_placed: the event the fan-out services act on.</summary>
    Placed = 0,

    /// <summary>order_paid.</summary>
    Paid = 1,

    /// <summary>order_shipped: the last event of a fulfilled order.</summary>
    Shipped = 2,

    /// <summary>order_cancelled: the last event of a cancelled order.</summary>
    Cancelled = 3,
}
