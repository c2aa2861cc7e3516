namespace HotPath.Demo;

/// <summary>
/// One order event, 24 bytes, stored in place in the ring: no string on the hot path. The order id is a number
/// (shown and keyed as <c>ORD12345</c>, see <see cref="OrderIds"/>), the product an index into <see cref="Products"/>.
/// </summary>
/// <param name="OrderId">The order number, from <see cref="OrderIds.First"/>.</param>
/// <param name="Type">placed, paid, shipped or cancelled.</param>
/// <param name="Step">The event's position in its order's life (0 for placed): what the handlers check order with.</param>
/// <param name="Product">Index into <see cref="Products.Names"/>.</param>
/// <param name="Quantity">Units ordered.</param>
/// <param name="TimestampTicks">UTC ticks when the event was generated.</param>
internal readonly record struct OrderEvent(int OrderId, OrderEventType Type, byte Step, short Product, int Quantity, long TimestampTicks);
