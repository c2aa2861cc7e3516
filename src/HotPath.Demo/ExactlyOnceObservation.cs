namespace HotPath.Demo;

/// <summary>What the exactly-once stage's read-committed counting groups saw, and which members were made to hang.</summary>
/// <param name="Outputs">Per order index, the outputs read on `orders.processed` (transactional processor).</param>
/// <param name="TwinOutputs">Per order index, the outputs read on `orders.processed.twin` (at-least-once twin).</param>
/// <param name="AbortedSkipped">Offsets of aborted transactions the readers of `orders.processed` stepped over
/// (<see cref="HotPath.Consumers.PartitionStats.Aborted"/>).</param>
/// <param name="ProcessorHang">The order-processor member made to hang, or null when none was.</param>
/// <param name="TwinHang">The twin's member made to hang, or null when none was.</param>
internal sealed record ExactlyOnceObservation(
    byte[] Outputs,
    byte[] TwinOutputs,
    long AbortedSkipped,
    HungMember? ProcessorHang,
    HungMember? TwinHang);
