namespace HotPath.Demo;

/// <summary>
/// The exactly-once stage's output: one per order, made from its order_placed event and keyed by the order id, on
/// `orders.processed` (and on `orders.processed.twin` by the at-least-once twin).
/// </summary>
/// <param name="OrderId">The order number.</param>
/// <param name="Product">Index into <see cref="Products.Names"/>.</param>
/// <param name="Quantity">Units ordered.</param>
/// <param name="PlacedTicks">When the order_placed event was generated (UTC ticks).</param>
internal readonly record struct ProcessedOrder(int OrderId, short Product, int Quantity, long PlacedTicks);
