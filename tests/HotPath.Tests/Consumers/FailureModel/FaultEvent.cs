namespace HotPath.Tests.Consumers.FailureModel;

/// <summary>One event as published: its fate is in the data (see the type's remarks).</summary>
public readonly record struct FaultEvent(long Id, int Key, Fault Fault, int Throws);
