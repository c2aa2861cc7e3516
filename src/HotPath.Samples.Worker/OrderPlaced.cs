namespace HotPath.Samples.Worker;

/// <summary>An order was placed: the sample's event, a struct without references (it lives in the ring slots).</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Product">The product ordered.</param>
/// <param name="Quantity">How many; 0 marks an order the shipping handler refuses (it ends in the dead-letter topic).</param>
public readonly record struct OrderPlaced(long OrderId, int Product, int Quantity);
